import Foundation
import Protocol
import Testing

/// Finding (with the admin reserve): one web visitor could hold every HTTP connection
/// and event stream. Now each client address (the one nginx forwards, when trusted) has
/// at most `HTTP_MAX_CONNECTIONS_PER_ADDRESS` connections and
/// `HTTP_MAX_STREAMS_PER_ADDRESS` event streams; past that it gets 429 with a clear body.
@Suite(.serialized) struct PerAddressHTTPCapTests {
    static func get(_ path: String, from address: String, token: String? = nil) -> String {
        var request = "GET \(path) HTTP/1.1\r\nHost: timmyd\r\nX-Forwarded-For: \(address)\r\n"
        if let token { request += "Authorization: Bearer \(token)\r\n" }
        return request + "\r\n"
    }

    /// Sends one request on a new connection and returns it with the first line of the answer.
    static func open(_ daemon: DaemonHarness, _ request: String) throws -> (RawSocket, String) {
        let socket = try RawSocket(path: daemon.socketPath)
        socket.send(request)
        let line = RawLineReader(socket).next().map { String(decoding: $0, as: UTF8.self) } ?? ""
        return (socket, line)
    }

    @Test func connectionsPerAddressAreCappedWith429() throws {
        let daemon = try DaemonHarness(
            environment: ["HTTP_TRUST_FORWARDED_FOR": "true", "HTTP_MAX_CONNECTIONS_PER_ADDRESS": "3"]).start()
        // Three kept-alive connections from one address, each after a request.
        var held = try (0..<3).map { _ in try Self.open(daemon, Self.get("/api/info", from: "198.51.100.1")) }
        for (_, line) in held { #expect(line.hasPrefix("HTTP/1.1 200"), "\(line)") }
        let refused = try daemon.http("GET", "/api/info", headers: ["X-Forwarded-For: 198.51.100.1"])
        #expect(refused.status == 429)
        #expect(refused.errorReason == "too_many_connections")
        #expect(refused.json?["error"]?["data"]?["limit"] == 3)
        #expect(refused.json?["error"]?["message"]?.stringValue?.contains("At most 3 connections") == true)
        // Another address has its own share, and so has this one once a connection closes.
        #expect(try daemon.http("GET", "/api/info", headers: ["X-Forwarded-For: 198.51.100.2"]).status == 200)
        held.removeFirst()
        usleep(100_000)
        #expect(try daemon.http("GET", "/api/info", headers: ["X-Forwarded-For: 198.51.100.1"]).status == 200)
        daemon.expectAdminStillServed()
        withExtendedLifetime(held) {}
    }

    @Test func eventStreamsPerAddressAreCappedWith429() throws {
        let daemon = try DaemonHarness(
            environment: ["HTTP_TRUST_FORWARDED_FOR": "true", "HTTP_MAX_STREAMS_PER_ADDRESS": "2"]).start()
        let job = try daemon.create()
        let path = "/api/bootstrap/\(job.jobId)/events"
        let streams = try (0..<2).map { _ in try Self.open(daemon, Self.get(path, from: "2001:db8:5:6::1", token: job.accessToken)) }
        for (_, line) in streams { #expect(line.hasPrefix("HTTP/1.1 200"), "\(line)") }
        // Another address in the same /64 is the same buyer.
        let refused = try daemon.http("GET", path, token: job.accessToken, headers: ["X-Forwarded-For: 2001:db8:5:6::2"])
        #expect(refused.status == 429)
        #expect(refused.errorReason == "too_many_watches")
        #expect(refused.json?["error"]?["data"]?["scope"] == "address")
        #expect(refused.json?["error"]?["data"]?["limit"] == 2)
        // A settled job's stream is one event and the end: it holds no stream slot.
        _ = try daemon.call("bootstrap.cancel", daemon.credentials(job))
        daemon.expectAdminStillServed()
        withExtendedLifetime(streams) {}
    }

    @Test func withTrustOffEveryWebCallerSharesOneAddress() throws {
        let daemon = try DaemonHarness(environment: ["HTTP_MAX_CONNECTIONS_PER_ADDRESS": "2"]).start()
        let held = try (0..<2).map { index in try Self.open(daemon, Self.get("/api/info", from: "198.51.100.\(index)")) }
        let refused = try daemon.http("GET", "/api/info", headers: ["X-Forwarded-For: 203.0.113.9"])
        #expect(refused.status == 429)
        #expect(refused.errorReason == "too_many_connections")
        // Local JSON-RPC callers are not web buyers: not affected.
        daemon.expectAdminStillServed()
        withExtendedLifetime(held) {}
    }
}
