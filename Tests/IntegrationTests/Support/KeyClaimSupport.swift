import Foundation
import Protocol
import Testing

/// Helpers for the key-claim tests: a ready job, claims and confirmations by every
/// route, and a look at the database file itself to see whether the key is still held.
extension DaemonHarness {
    /// A job bought and paid (stub) and ready, its key not yet claimed.
    func readyJob() throws -> CreateJobResult {
        let job = try create()
        try simulatePayment(job.jobId)
        try waitFor(job, state: .ready)
        return job
    }

    /// The same, bought with `timmyctl new`, so its token is in the token file `ctl` uses.
    func readyJobBoughtWithTimmyctl() throws -> CreateJobResult {
        let job = try CreateJobResult(json: try JSONValue.parse(try ctl("new", "--json").stdout))
        try simulatePayment(job.jobId)
        try waitFor(job, state: .ready)
        return job
    }

    func claimKey(_ job: CreateJobResult) throws -> ClaimKeyResult {
        try ClaimKeyResult(json: try call("bootstrap.claimKey", credentials(job)))
    }

    func confirmParams(_ job: CreateJobResult, fingerprint: String) -> JSONValue {
        ConfirmKeyParams(jobId: job.jobId, accessToken: job.accessToken, sshKeyFingerprint: fingerprint).json
    }

    /// Whether the job's row still holds a sealed private key, read from the database
    /// file (Python's sqlite3: the tests need no SQLite binding of their own).
    func sealedKeyIsHeld(_ jobID: String) throws -> Bool {
        let script = """
            import sqlite3, sys
            row = sqlite3.connect(sys.argv[1]).execute(
                "SELECT ssh_private_key_sealed IS NOT NULL FROM jobs WHERE id = ?", (sys.argv[2],)).fetchone()
            print("missing" if row is None else row[0])
            """
        let result = try runProgram("/usr/bin/python3", ["-c", script, stateDirectory + "/timmyd.db", jobID])
        switch result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) {
        case "1": return true
        case "0": return false
        default: throw HarnessError("cannot read the job's key column: \(result.stdout) \(result.stderr)")
        }
    }

    /// The job's history lines whose reason starts with `prefix`.
    func events(_ jobID: String, reasonPrefix prefix: String) throws -> [JSONValue] {
        try events(jobID).filter { $0["reason"]?.stringValue?.hasPrefix(prefix) == true }
    }

    /// Sends a claim (a JSON-RPC line or an HTTP request), waits until the daemon has
    /// recorded the delivery, and closes the connection without reading the reply: the
    /// buyer's tab closed, or a proxy timed out.
    func claimAndDropTheReply(_ job: CreateJobResult, overHTTP: Bool = false) throws {
        let before = try events(job.jobId, reasonPrefix: "ssh key delivered").count
        let connection = try client()
        if overHTTP {
            try connection.sendRaw(
                Array(
                    ("POST /api/bootstrap/\(job.jobId)/key HTTP/1.1\r\nHost: timmyd\r\n"
                        + "Authorization: Bearer \(job.accessToken)\r\nContent-Length: 0\r\n\r\n").utf8))
        } else {
            try connection.sendRaw(
                Array(JSONRPCRequest(method: "bootstrap.claimKey", params: credentials(job), id: .number(1)).json.serialized().utf8)
                    + [10])
        }
        connection.shutdownWrite()
        let deadline = Date().addingTimeInterval(10)
        while try events(job.jobId, reasonPrefix: "ssh key delivered").count == before {
            guard Date() < deadline else { throw HarnessError("the dropped claim was never delivered") }
            usleep(20_000)
        }
        withExtendedLifetime(connection) {}  // closed when it goes out of scope, its reply unread
    }
}
