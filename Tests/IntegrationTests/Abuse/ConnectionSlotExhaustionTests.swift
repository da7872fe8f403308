import Foundation
import Protocol
import Testing

/// Finding: any local client or web visitor could take every connection slot (512 idle
/// connections or event streams from `nobody` locked root out), because slots were
/// counted before the peer's credentials were read. Now the last
/// `ADMIN_RESERVED_CONNECTIONS` slots are only for admins.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root to run clients as nobody"))
struct ConnectionSlotExhaustionTests {
    static let environment = [
        "TIMMY_SOCKET_GROUP": "nogroup", "MAX_CONNECTIONS": "64", "ADMIN_RESERVED_CONNECTIONS": "8",
    ]

    @Test func idleConnectionsFromNobodyLeaveTheAdminsReserve() throws {
        let daemon = try DaemonHarness(environment: Self.environment).start()
        // The harness's readiness probe frees its slot asynchronously; let it go first.
        usleep(300_000)
        let hog = try ConnectionHog(daemon, count: 64, mode: .idle)
        #expect(hog.summary.held == 56, "\(hog.summary)")
        #expect(hog.summary.refused == 8, "\(hog.summary)")
        #expect(hog.summary.answers.keys.allSatisfy { $0.contains("overloaded") }, "\(hog.summary.answers)")
        daemon.expectAdminStillServed()
        // An admin may use every reserved slot, and no more.
        let admins = try (0..<7).map { _ in try daemon.client() }
        for admin in admins { _ = try admin.call("daemon.info") }
        daemon.expectAdminStillServed()
        daemon.expectResidentAtMost(64)
        hog.release()
    }

    @Test func eventStreamsFromNobodyLeaveTheAdminsReserve() throws {
        // Per-address and per-job caps out of the way: the slots themselves are under test.
        let daemon = try DaemonHarness(
            environment: Self.environment.merging([
                "HTTP_MAX_STREAMS_PER_ADDRESS": "1000", "HTTP_MAX_CONNECTIONS_PER_ADDRESS": "1000", "MAX_WATCHES_PER_JOB": "1000",
            ]) { _, new in new }
        ).start()
        usleep(300_000)
        let job = try daemon.create()
        let hog = try ConnectionHog(daemon, count: 64, mode: .events(job))
        #expect(hog.summary.held == 56, "\(hog.summary)")
        #expect(hog.summary.refused == 8, "\(hog.summary)")
        daemon.expectAdminStillServed()
        // The streams are live: a change reaches them, and root is still served meanwhile.
        try daemon.simulatePayment(job.jobId)
        daemon.expectAdminStillServed()
        daemon.expectResidentAtMost(64)
        hog.release()
    }

    @Test func theReviewersFloodOf512StreamsMeetsThePerAddressCapWithDefaults() throws {
        let daemon = try DaemonHarness(environment: ["TIMMY_SOCKET_GROUP": "nogroup"]).start()
        let job = try daemon.create()
        let hog = try ConnectionHog(daemon, count: 512, mode: .events(job))
        // With X-Forwarded-For untrusted every web caller is one address: 8 streams, the rest 429.
        #expect(hog.summary.held == 8, "\(hog.summary)")
        #expect(hog.summary.refused == 504, "\(hog.summary)")
        // A refused stream's connection lingers a moment before it closes, so the last few
        // may meet the client slot limit (overloaded) instead, depending on timing.
        let tooMany = hog.summary.answers["HTTP/1.1 429 Too Many Requests"] ?? 0
        #expect(tooMany >= 400, "\(hog.summary.answers)")
        #expect(hog.summary.answers.keys.allSatisfy { $0.hasPrefix("HTTP/1.1 429") || $0.hasPrefix("HTTP/1.1 200") || $0.contains("overloaded") }, "\(hog.summary.answers)")
        daemon.expectAdminStillServed()
        daemon.expectResidentAtMost(64)
        hog.release()
    }

    @Test func aWebFrontRunningAsAnAdminUIDCannotUseTheReserve() throws {
        // HTTP callers are clients whatever their uid: a connection that got an admin slot
        // (here root's, with nobody holding the rest) is refused once it speaks HTTP.
        let daemon = try DaemonHarness(environment: Self.environment).start()
        usleep(300_000)
        let hog = try ConnectionHog(daemon, count: 56, mode: .idle)
        #expect(hog.summary.held == 56, "\(hog.summary)")
        let response = try daemon.http("GET", "/api/info")
        #expect(response.status == 503)
        #expect(response.errorReason == "overloaded")
        daemon.expectAdminStillServed()
        hog.release()
    }
}
