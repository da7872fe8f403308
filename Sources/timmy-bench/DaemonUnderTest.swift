#if canImport(Glibc)
import Glibc
#endif

/// The real timmyd, started like the integration tests start it: a temporary socket
/// and state folder, nothing configured, so payments and provisioning are stubs.
final class DaemonUnderTest {
    let folder: String
    let socketPath: String
    let stateDirectory: String
    let pid: pid_t
    private var stopped = false

    init(executable: String, environment extra: [String: String]) throws(BenchError) {
        let base = String(cString: getenv("TMPDIR") ?? strdup("/tmp"))
        var template = Array("\(base)/timmy-bench-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw BenchError("mkdtemp in \(base): \(errnoText())") }
        folder = String(cString: made)
        socketPath = folder + "/timmyd.sock"
        stateDirectory = folder + "/state"
        let environment = ["PATH": "/usr/bin:/bin"].merging(extra) { _, new in new }
        pid = try ChildProcess.spawn(
            executable, ["--socket", socketPath, "--state-dir", stateDirectory], environment: environment,
            outputPath: folder + "/timmyd.log")
        try waitUntilServing()
    }

    deinit { stop() }

    /// The socket answers daemon.info, or the daemon gave up (its log says why).
    private func waitUntilServing() throws(BenchError) {
        let deadline = monotonicNanoseconds() + 30_000_000_000
        while monotonicNanoseconds() < deadline {
            var status: Int32 = 0
            if waitpid(pid, &status, WNOHANG) == pid {
                stopped = true
                throw BenchError("timmyd exited at start-up; see \(folder)/timmyd.log")
            }
            if let client = try? BlockingLineClient(socketPath: socketPath),
                (try? client.roundTrip(BenchRequests.daemonInfo(id: 0))) != nil
            {
                return
            }
            usleep(20_000)
        }
        throw BenchError("timmyd did not answer on \(socketPath) within 30 s")
    }

    var residentKiB: Int? { ChildProcess.residentKiB(of: pid) }
    var threads: Int? { ChildProcess.threads(of: pid) }

    /// Stops the daemon (SIGTERM) and removes its folder.
    func stop() {
        guard !stopped else { return }
        stopped = true
        kill(pid, SIGTERM)
        ChildProcess.wait(pid)
        _ = try? ChildProcess.timedRun("/bin/rm", ["-rf", folder], environment: [:])
    }
}

/// The request lines the figures send.
enum BenchRequests {
    static func daemonInfo(id: Int) -> [UInt8] {
        Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"daemon.info"}"#.utf8) + [UInt8(ascii: "\n")]
    }

    static func create(id: Int) -> [UInt8] {
        Array(#"{"jsonrpc":"2.0","id":\#(id),"method":"bootstrap.create","params":{"label":"bench"}}"#.utf8)
            + [UInt8(ascii: "\n")]
    }

    static func watch(id: Int, jobId: String, accessToken: String) -> [UInt8] {
        Array(
            #"{"jsonrpc":"2.0","id":\#(id),"method":"bootstrap.watch","params":{"jobId":"\#(jobId)","accessToken":"\#(accessToken)"}}"#
                .utf8) + [UInt8(ascii: "\n")]
    }
}
