import Foundation
import Protocol
import Testing

/// Finding 13 (core dumps): a crash must not write timmyd's memory (secrets,
/// unclaimed SSH keys) to a core file, and another process of the same uid must
/// not read it through ptrace or /proc. timmyd is started the way that would
/// allow both (core limit raised, running as an ordinary uid) and must take them away.
@Suite(.serialized, .enabled(if: DaemonHarness.canRunAsNobody, "needs root to start timmyd as a second user (nobody)"))
struct CoreDumpTests {
    /// Starts `program arguments` as nobody, with the soft core limit raised to its hard limit.
    func launchAsNobodyWithCoresAllowed(_ program: String, _ arguments: [String], log: String, environment: [String: String])
        throws -> Process
    {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        process.arguments = [
            "-c", "ulimit -S -c \"$(ulimit -H -c)\" && exec /usr/bin/setpriv --reuid=\(DaemonHarness.nobody) --regid=\(DaemonHarness.nobody) --clear-groups \"$0\" \"$@\" >>\"$LAUNCH_LOG\" 2>&1",
            program,
        ] + arguments
        process.environment = ["PATH": "/usr/bin:/bin", "LAUNCH_LOG": log].merging(environment) { _, new in new }
        try process.run()
        return process
    }

    /// The soft and hard "Max core file size" of a running process.
    func coreLimits(_ pid: Int32) throws -> [String] {
        let limits = try String(contentsOfFile: "/proc/\(pid)/limits", encoding: .utf8)
        let line = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") })
        return line.dropFirst("Max core file size".count).split(separator: " ").prefix(2).map(String.init)
    }

    func owner(_ path: String) -> UInt32 {
        var info = stat()
        return stat(path, &info) == 0 ? info.st_uid : UInt32.max
    }

    @Test func daemonTurnsCoreDumpsOffAndIsNotDumpable() throws {
        let daemon = try DaemonHarness(environment: ["TIMMY_SOCKET_GROUP": "nogroup"])
        let home = daemon.nobodyHome()
        let binary = daemon.folder + "/timmyd"
        try FileManager.default.copyItem(atPath: Binaries.timmyd, toPath: binary)
        chmod(binary, 0o755)

        // The control: the same launch of an ordinary program keeps cores allowed and
        // its /proc folder belongs to nobody, so the checks below can tell the difference.
        let control = try launchAsNobodyWithCoresAllowed("/bin/sleep", ["30"], log: daemon.logPath, environment: [:])
        usleep(200_000)
        #expect(try coreLimits(control.processIdentifier).first != "0", "the launch raises the core limit")
        #expect(owner("/proc/\(control.processIdentifier)/status") == DaemonHarness.nobody)
        kill(control.processIdentifier, SIGKILL)
        control.waitUntilExit()

        let socket = home + "/timmyd.sock"
        let process = try launchAsNobodyWithCoresAllowed(
            binary, ["--socket", socket, "--state-dir", home + "/state"], log: daemon.logPath,
            environment: daemon.environment)
        defer { process.terminate(); process.waitUntilExit() }
        let deadline = Date().addingTimeInterval(20)
        while (try? RPCClient(socketPath: socket).call("daemon.info")) == nil, process.isRunning, Date() < deadline {
            usleep(20_000)
        }
        _ = try RPCClient(socketPath: socket).call("daemon.info")

        let pid = process.processIdentifier
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        #expect(status.contains("\nUid:\t\(DaemonHarness.nobody)\t"), "timmyd really runs as nobody")
        #expect(try coreLimits(pid) == ["0", "0"], "soft and hard core limits are 0")
        // A non-dumpable process's /proc files belong to root, whatever its uid.
        #expect(owner("/proc/\(pid)/status") == 0, "timmyd marked itself non-dumpable")
        #expect(owner("/proc/\(pid)/environ") == 0)
    }
}
