import Foundation
import Protocol
import Testing

/// Finding: three GETs pipelined in one write got one answer: NIO hands the handler the
/// next request while it is still finishing the current response, and the handler
/// dropped it. Now every pipelined request is answered, in order; an event stream is
/// the last response on its connection.
@Suite struct PipelinedHTTPRequestTests {
    /// Sends `paths` as pipelined GETs in one write, then reads until the daemon closes.
    static func pipeline(_ daemon: DaemonHarness, _ requests: [String]) throws -> String {
        let socket = try RawSocket(path: daemon.socketPath, receiveTimeout: 10)
        var text = ""
        for (index, request) in requests.enumerated() {
            text += request + (index == requests.count - 1 ? "Connection: close\r\n\r\n" : "\r\n")
        }
        socket.send(text)
        return String(decoding: try #require(socket.readToEnd()), as: UTF8.self)
    }

    static func get(_ path: String, token: String? = nil) -> String {
        "GET \(path) HTTP/1.1\r\nHost: timmyd\r\n" + (token.map { "Authorization: Bearer \($0)\r\n" } ?? "")
    }

    @Test(arguments: [3, 20]) func pipelinedGETsAreAllAnsweredInOrder(count: Int) throws {
        let daemon = try DaemonHarness().start()
        let jobs = try (0..<count).map { _ in try daemon.create() }
        let answer = try Self.pipeline(daemon, jobs.map { Self.get("/api/bootstrap/\($0.jobId)", token: $0.accessToken) })
        let statuses = answer.components(separatedBy: "HTTP/1.1 ").dropFirst().map { String($0.prefix(3)) }
        #expect(statuses == [String](repeating: "200", count: count), "\(answer.prefix(500))")
        // In order: each answer carries its request's job id.
        var position = answer.startIndex
        for job in jobs {
            let found = try #require(answer.range(of: job.jobId, range: position..<answer.endIndex), "\(job.jobId) out of order")
            position = found.upperBound
        }
    }

    @Test func anEventStreamEndsPipeliningOnItsConnection() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.create()
        _ = try daemon.call("bootstrap.cancel", daemon.credentials(job))
        let other = try daemon.create()
        // The stream of a settled job ends at once; the request behind it is not served.
        let answer = try Self.pipeline(
            daemon,
            [Self.get("/api/info"), Self.get("/api/bootstrap/\(job.jobId)/events", token: job.accessToken),
             Self.get("/api/bootstrap/\(other.jobId)", token: other.accessToken)])
        #expect(answer.components(separatedBy: "HTTP/1.1 ").count - 1 == 2, "\(answer)")
        #expect(answer.contains("event: status"))
        #expect(!answer.contains(other.jobId))
    }
}
