#if canImport(Glibc)
import Glibc
#endif
import Testing
@testable import timmyd

/// When an upstream counts as down, for `upstream_down` events: the outage starts at the
/// first failure after a success, and any answer that is not 429 or 5xx ends it.
@Suite struct UpstreamHealthTests {
    @Test func anOutageStartsAtItsFirstFailureAndEndsAtASuccess() throws {
        var health = BackendHealth()
        #expect(health.downSince == nil)
        health.recordFailure("no answer")
        let start = try #require(health.downSince)
        usleep(5_000)
        health.recordFailure("no answer again")
        #expect(health.downSince == start, "later failures keep the outage's start")
        health.recordSuccess()
        #expect(health.downSince == nil)
        usleep(5_000)
        health.recordFailure("a new outage")
        #expect(try #require(health.downSince) > start)
    }

    @Test func theCloudTransportCountsNoAnswer429And5xxAsDownAndAnyOtherAnswerAsUp() async throws {
        let health = UpstreamHealth()
        let transport = UpstreamHealthTransport(
            transport: ScriptedTransport([.json(503, "{}"), .refused, .json(429, "{}"), .json(404, "{}"), .json(500, "{}")]),
            health: health)
        let request = HTTPRequest(method: "GET", url: "http://127.0.0.1:9/v2/account")
        _ = try await transport.send(request)
        let start = try #require(health.current.downSince)
        await #expect(throws: HTTPTransportError.self) { try await transport.send(request) }
        _ = try await transport.send(request)
        #expect(health.current.downSince == start)
        // A refusal is an answer: the API is up.
        _ = try await transport.send(request)
        #expect(health.current.downSince == nil && health.current.healthy)
        _ = try await transport.send(request)
        #expect(health.current.downSince != nil)
    }
}
