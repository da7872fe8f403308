import Foundation

/// What the harness needs of a started daemon: Foundation's `Process` has all of it.
protocol DaemonProcess: AnyObject {
    var processIdentifier: Int32 { get }
    var isRunning: Bool { get }
    var terminationStatus: Int32 { get }
    var terminationReason: Process.TerminationReason { get }
    func terminate()
    func waitUntilExit()
}

extension Process: DaemonProcess {}

/// A child started with `posix_spawn` and reaped with `waitpid` by the harness itself.
///
/// For launchers that close every inherited descriptor (`systemd-socket-activate`
/// does, before it execs the program): Foundation's `Process` learns of a child's
/// exit from a socket the child inherits, so it then believes the child exited and
/// blocks its one monitoring thread in `waitpid` until the daemon really does, and
/// no other `Process` in the test run (timmyctl) is reaped meanwhile.
/// Like `Process`, the child inherits the calling thread's signal mask.
final class SpawnedProcess: DaemonProcess {
    let processIdentifier: Int32
    /// The raw wait status once reaped.
    private var waitStatus: Int32?

    init(path: String, arguments: [String], environment: [String: String]) throws {
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = environment.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, path, nil, nil, argv, envp)
        guard result == 0 else { throw HarnessError("cannot start \(path): \(String(cString: strerror(result)))") }
        processIdentifier = pid
    }

    var isRunning: Bool {
        reap(blocking: false)
        return waitStatus == nil
    }

    func terminate() {
        if isRunning { kill(processIdentifier, SIGTERM) }
    }

    func waitUntilExit() { reap(blocking: true) }

    /// The exit code, or the signal that ended the child (as `Process` reports them).
    var terminationStatus: Int32 {
        guard let waitStatus else { return -1 }
        return terminationReason == .exit ? (waitStatus >> 8) & 0xff : waitStatus & 0x7f
    }

    var terminationReason: Process.TerminationReason {
        (waitStatus ?? 0) & 0x7f == 0 ? .exit : .uncaughtSignal
    }

    private func reap(blocking: Bool) {
        guard waitStatus == nil else { return }
        var status: Int32 = 0
        var result: pid_t
        repeat { result = waitpid(processIdentifier, &status, blocking ? 0 : WNOHANG) } while result == -1 && errno == EINTR
        if result == processIdentifier {
            waitStatus = status
        } else if result == -1 {
            // Not ours to wait for any more (ECHILD): gone, status unknown.
            waitStatus = 0xff00
        }
    }
}
