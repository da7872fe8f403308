#if canImport(Glibc)
import Glibc
#endif

/// Starting programs with posix_spawn: the daemon under test, and the one-shot
/// commands whose wall time is measured (timmyctl and socat, started the same way).
enum ChildProcess {
    /// Starts `path`; stdin from `stdinPath` (or /dev/null), stdout and stderr to `outputPath`.
    static func spawn(
        _ path: String, _ arguments: [String], environment: [String: String], stdinPath: String = "/dev/null",
        outputPath: String = "/dev/null"
    ) throws(BenchError) -> pid_t {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, stdinPath, O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let result = posix_spawn(&pid, path, &actions, nil, argv, envp)
        guard result == 0 else { throw BenchError("cannot start \(path): \(String(cString: strerror(result)))") }
        return pid
    }

    /// Waits for a child; its exit status (or 128 + signal).
    @discardableResult
    static func wait(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    /// Runs a command to its end; the wall time in nanoseconds from spawn to reaped.
    static func timedRun(
        _ path: String, _ arguments: [String], environment: [String: String], stdinPath: String = "/dev/null"
    ) throws(BenchError) -> UInt64 {
        let start = monotonicNanoseconds()
        let pid = try spawn(path, arguments, environment: environment, stdinPath: stdinPath)
        let status = wait(pid)
        let elapsed = monotonicNanoseconds() - start
        guard status == 0 else { throw BenchError("\(path) \(arguments.joined(separator: " ")) exited with \(status)") }
        return elapsed
    }

    /// Finds a program on PATH.
    static func which(_ name: String) -> String? {
        let path = String(cString: getenv("PATH") ?? strdup("/usr/bin:/bin"))
        for folder in path.split(separator: ":") where access("\(folder)/\(name)", X_OK) == 0 {
            return "\(folder)/\(name)"
        }
        return nil
    }

    /// A process's resident set (VmRSS) in KiB, from /proc.
    static func residentKiB(of pid: pid_t) -> Int? { statusField("VmRSS", of: pid) }

    /// A process's thread count, from /proc.
    static func threads(of pid: pid_t) -> Int? { statusField("Threads", of: pid) }

    /// The first number of a `Name:` line of /proc/PID/status.
    private static func statusField(_ name: String, of pid: pid_t) -> Int? {
        guard let file = fopen("/proc/\(pid)/status", "r") else { return nil }
        defer { fclose(file) }
        var line = [CChar](repeating: 0, count: 512)
        while fgets(&line, Int32(line.count), file) != nil {
            let text = String(decoding: line.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
            guard text.hasPrefix(name + ":") else { continue }
            let number = text.dropFirst(name.count + 1).split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" }).first
            return number.flatMap { Int($0) }
        }
        return nil
    }
}
