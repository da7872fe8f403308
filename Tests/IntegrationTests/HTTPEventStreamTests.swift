import Foundation
import Protocol
import Testing

/// `GET /api/bootstrap/{id}/events`: server-sent events fed by the watch machinery.
@Suite struct HTTPEventStreamTests {
    /// A `curl -N` reading the event stream in the background, as a browser's fetch() would.
    final class EventStreamReader {
        let process = Process()
        let output: String
        let headers: String

        init(daemon: DaemonHarness, job: CreateJobResult, token: String? = nil) throws {
            output = daemon.folder + "/events-\(UUID().uuidString).txt"
            headers = output + ".headers"
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = [
                "-c", "exec /usr/bin/curl -sS -N --max-time 30 -D \"$1\" -o \"$2\" --unix-socket \"$3\" -H \"Authorization: Bearer $4\" \"$5\"",
                "sh", headers, output, daemon.socketPath, token ?? job.accessToken,
                "http://timmyd/api/bootstrap/\(job.jobId)/events",
            ]
            try process.run()
        }

        deinit { if process.isRunning { process.terminate() } }

        /// Waits for curl to see the end of the stream; false if it had not after `timeout`.
        func waitForEnd(timeout: Double = 20) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            return !process.isRunning
        }

        var text: String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }

        /// The `data:` of each `event: status`, in order.
        var statuses: [JSONValue] {
            text.components(separatedBy: "\n\n").compactMap { block in
                let lines = block.split(separator: "\n")
                guard lines.contains("event: status"), let data = lines.first(where: { $0.hasPrefix("data: ") }) else { return nil }
                return try? JSONValue.parse(String(data.dropFirst(6)))
            }
        }

        func waitForFirstEvent() {
            let deadline = Date().addingTimeInterval(10)
            while statuses.isEmpty && Date() < deadline { usleep(20_000) }
        }
    }

    @Test func streamCarriesEveryChangeUpToReadyThenEnds() throws {
        let daemon = try DaemonHarness(environment: ["HTTP_EVENTS_KEEPALIVE_SECONDS": "1"]).start()
        let job = try daemon.httpCreate()
        let reader = try EventStreamReader(daemon: daemon, job: job)
        reader.waitForFirstEvent()
        // Long enough for a keep-alive comment before anything changes.
        usleep(1_500_000)
        try daemon.simulatePayment(job.jobId)
        #expect(reader.waitForEnd(), "the stream did not end after the job settled")
        #expect(reader.process.terminationStatus == 0)
        let headers = (try? String(contentsOfFile: reader.headers, encoding: .utf8))?.lowercased() ?? ""
        #expect(headers.contains("content-type: text/event-stream"))
        #expect(headers.contains("cache-control: no-store"))
        #expect(reader.text.contains(": keepalive\n\n"))

        let states = reader.statuses.compactMap { $0["state"]?.stringValue }
        #expect(states.first == "awaiting_payment")
        #expect(states.last == "ready")
        #expect(states.contains("provisioning"))
        // In order, never back: awaiting_payment… provisioning… ready.
        let order = ["awaiting_payment", "provisioning", "ready"]
        let ranks = states.compactMap { order.firstIndex(of: $0) }
        #expect(ranks == ranks.sorted() && ranks.count == states.count, "\(states)")
        // Each event is a whole status object, the same as bootstrap.status answers.
        let last = try JobStatus(json: try #require(reader.statuses.last))
        #expect(last.node != nil)
        // Phases arrive as they happen (the stub provisioner walks through several).
        #expect(Set(reader.statuses.compactMap { $0["phase"]?.stringValue }).count >= 3)
    }

    @Test func settledJobGetsOneEventAndTheEnd() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.httpCreate()
        _ = try daemon.http("POST", "/api/bootstrap/\(job.jobId)/cancel", token: job.accessToken)
        let reader = try EventStreamReader(daemon: daemon, job: job)
        #expect(reader.waitForEnd(timeout: 10))
        #expect(reader.statuses.map { $0["state"] } == ["cancelled"])
    }

    @Test func wrongTokenGetsAJSONErrorNotAStream() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.httpCreate()
        let response = try daemon.http("GET", "/api/bootstrap/\(job.jobId)/events", token: "tat_wrong")
        #expect(response.status == 401)
        #expect(response.headers["content-type"] == "application/json")
        #expect(response.errorReason == "bad_token")
    }

    @Test func aReaderThatLeavesDoesNotDisturbTheDaemon() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.httpCreate()
        let reader = try EventStreamReader(daemon: daemon, job: job)
        reader.waitForFirstEvent()
        reader.process.terminate()
        reader.process.waitUntilExit()
        try daemon.simulatePayment(job.jobId)
        try daemon.waitFor(job, state: .ready)
        #expect(try daemon.http("GET", "/api/info").status == 200)
    }
}
