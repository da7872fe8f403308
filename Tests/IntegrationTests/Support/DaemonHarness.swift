import Foundation
import Protocol
import Testing

/// A real `timmyd` on a temporary socket and state folder, for one test.
final class DaemonHarness {
    let folder: String
    let socketPath: String
    let stateDirectory: String
    let logPath: String
    var environment: [String: String]
    /// A program (and its arguments) that starts timmyd, e.g. `systemd-socket-activate`; empty: timmyd itself.
    var launcher: [String] = []
    /// The umask the daemon (or its launcher) starts with.
    var umask = "022"
    private(set) var process: (any DaemonProcess)?

    /// Quick stub defaults; a test overrides what it needs. Tests buy many nodes over HTTP
    /// in a few seconds, so the create rate limit is raised here and tested on its own.
    static let quickDefaults = [
        "STUB_PROVISION_DELAY_MS": "300", "PAYMENT_POLL_INTERVAL_MS": "100", "LOG_LEVEL": "debug",
        "CREATE_RATE_PER_MINUTE": "6000",
    ]

    init(environment: [String: String] = [:]) throws {
        var template = Array((NSTemporaryDirectory() + "/timmyd-test-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
        folder = String(cString: made)
        // Reachable by a second uid, so tests can connect as `nobody`; the state folder stays 0700.
        chmod(folder, 0o755)
        socketPath = folder + "/timmyd.sock"
        stateDirectory = folder + "/state"
        logPath = folder + "/timmyd.log"
        self.environment = Self.quickDefaults.merging(environment) { _, new in new }
    }

    deinit {
        if let process, process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// Starts the daemon and waits until its socket answers.
    @discardableResult
    func start(extraArguments: [String] = []) throws -> DaemonHarness {
        try launch(extraArguments: extraArguments)
        return try waitUntilServing()
    }

    /// Waits until the launched daemon's socket answers.
    @discardableResult
    func waitUntilServing() throws -> DaemonHarness {
        guard let process else { throw HarnessError("timmyd was not launched") }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if (try? RPCClient(socketPath: socketPath).call("daemon.info")) != nil {
                // Every later reply from this daemon is checked against what it publishes.
                RPCContracts.fetch(socketPath: socketPath)
                return self
            }
            guard process.isRunning else { throw HarnessError("timmyd exited: \(log_())") }
            usleep(20_000)
        }
        throw HarnessError("timmyd did not answer within 20 s: \(log_())")
    }

    /// Starts the daemon without waiting for it to answer.
    @discardableResult
    func launch(extraArguments: [String] = []) throws -> any DaemonProcess {
        // The shell appends the daemon's output to the log and then becomes the daemon
        // (same pid). Handing Process a FileHandle instead risks a double close of a
        // descriptor number another test thread has already reused.
        let arguments =
            ["-c", "umask \(umask); exec \"$0\" \"$@\" >>\"$TIMMY_TEST_LOG\" 2>&1"] + launcher
            + [Binaries.timmyd, "--socket", socketPath, "--state-dir", stateDirectory] + extraArguments
        let environment = ["PATH": "/usr/bin:/bin", "TIMMY_TEST_LOG": logPath].merging(environment) { _, new in new }
        let process: any DaemonProcess
        if launcher.isEmpty {
            let foundationProcess = Process()
            foundationProcess.executableURL = URL(fileURLWithPath: "/bin/sh")
            foundationProcess.arguments = arguments
            foundationProcess.environment = environment
            try foundationProcess.run()
            process = foundationProcess
        } else {
            // A launcher may close the descriptor Foundation watches its child by (see SpawnedProcess).
            process = try SpawnedProcess(path: "/bin/sh", arguments: arguments, environment: environment)
        }
        self.process = process
        return process
    }

    /// SIGTERM and wait: the clean way. A daemon that does not stop within 10 s is
    /// a failure (and is then killed, so the suite does not hang).
    func stop() -> Int32 {
        guard let process else { return -1 }
        process.terminate()
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            Issue.record("timmyd did not stop within 10 s of SIGTERM")
            Foundation.kill(process.processIdentifier, SIGKILL)
        }
        process.waitUntilExit()
        self.process = nil
        return process.terminationStatus
    }

    /// Waits for the daemon to exit on its own; returns the signal that ended it
    /// (0 for a normal exit, -1 if it was still running at the deadline).
    func waitForExit(timeout: Double) -> Int32 {
        guard let process else { return -1 }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        guard !process.isRunning else { return -1 }
        self.process = nil
        return process.terminationReason == .uncaughtSignal ? process.terminationStatus : 0
    }

    /// SIGKILL: the daemon gets no chance to tidy up.
    func kill() {
        guard let process else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    func log_() -> String {
        (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
    }

    /// A connection whose every reply is checked against this daemon's `rpc.discover`.
    func client() throws -> RPCClient {
        let client = try RPCClient(socketPath: socketPath)
        client.observer = RPCContracts.checker(socketPath: socketPath)
        return client
    }

    /// Runs `timmyctl` against this daemon.
    func ctl(_ arguments: String..., environment extra: [String: String] = [:]) throws -> CommandResult {
        try runProgram(
            Binaries.timmyctl, arguments,
            environment: ["TIMMY_SOCKET": socketPath, "TIMMY_TOKEN_FILE": folder + "/tokens"].merging(extra) { _, new in new })
    }

    // MARK: Raw JSON-RPC helpers

    func call(_ method: String, _ params: JSONValue? = nil) throws -> JSONValue {
        try client().call(method, params)
    }

    /// The JSON-RPC error a call fails with (the test fails if it succeeds).
    func callError(_ method: String, _ params: JSONValue? = nil) throws -> JSONRPCError {
        do {
            let result = try call(method, params)
            Issue.record("\(method) unexpectedly succeeded: \(result.serialized())")
            throw HarnessError("unexpected success")
        } catch let error as JSONRPCError {
            return error
        }
    }

    func create(_ params: JSONValue = [:]) throws -> CreateJobResult {
        try CreateJobResult(json: try call("bootstrap.create", params))
    }

    func status(_ job: CreateJobResult) throws -> JobStatus {
        try JobStatus(json: try call("bootstrap.status", credentials(job)))
    }

    func credentials(_ job: CreateJobResult) -> JSONValue {
        JobCredentials(jobId: job.jobId, accessToken: job.accessToken).json
    }

    /// Polls until the job reaches `state` (or fails the test after `timeout`).
    @discardableResult
    func waitFor(_ job: CreateJobResult, state: JobState, timeout: Double = 20) throws -> JobStatus {
        let deadline = Date().addingTimeInterval(timeout)
        var last = try status(job)
        while last.state != state && Date() < deadline {
            usleep(50_000)
            last = try status(job)
        }
        guard last.state == state else {
            throw HarnessError("job \(job.jobId) is \(last.state.rawValue), expected \(state.rawValue)")
        }
        return last
    }

    /// Sends `method` on `count` connections before reading any reply, so the daemon
    /// has them all in flight at once, then returns every reply.
    func burst(count: Int, _ method: String, _ params: JSONValue) throws -> [JSONRPCResponse] {
        let clients = try (0..<count).map { _ in try client() }
        let line = Array(JSONRPCRequest(method: method, params: params, id: .number(1)).json.serialized().utf8) + [10]
        for client in clients { try client.sendRaw(line) }
        return try clients.map { client in
            guard case .response(let response) = try ServerMessage(line: try #require(try client.readLine())) else {
                throw HarnessError("expected a response")
            }
            return response
        }
    }

    /// The job's history as admins see it.
    func events(_ jobID: String) throws -> [JSONValue] {
        try call("admin.jobs.get", ["jobId": .string(jobID)])["events"]?.arrayValue ?? []
    }
}

struct HarnessError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
