import Foundation
import Protocol
import Testing

@Suite(.serialized)
struct ConnectionLimitTests {
    @Test func connectionsOverTheLimitAreToldOverloadedAndClosed() throws {
        let daemon = try DaemonHarness(environment: ["MAX_CONNECTIONS": "2"]).start()
        // The harness's readiness probe frees its slot asynchronously; let it go first.
        usleep(300_000)
        let first = try daemon.client()
        let second = try daemon.client()
        _ = try first.call("daemon.info")
        _ = try second.call("daemon.info")
        let third = try daemon.client()
        let reply = try JSONValue.parse(try #require(try third.readLine()))
        #expect(reply["error"]?["data"]?["reason"] == "overloaded")
        #expect(try third.readLine() == nil)
        // Room again once one leaves.
        first.shutdownWrite()
        #expect(try first.readLine() == nil)
        usleep(100_000)
        #expect((try? daemon.call("daemon.info")) != nil)
    }

    @Test func idleConnectionIsClosedButAWatchIsNot() throws {
        let daemon = try DaemonHarness(environment: ["IDLE_TIMEOUT_SECONDS": "1"]).start()
        let idle = try daemon.client()
        _ = try idle.call("daemon.info")
        let job = try daemon.create()
        let watcher = try daemon.client()
        _ = try watcher.call("bootstrap.watch", daemon.credentials(job))
        let started = Date()
        #expect(try idle.readLine() == nil)
        #expect(Date().timeIntervalSince(started) < 5)
        usleep(1_500_000)
        // The watch outlived the idle timeout and still delivers.
        _ = try daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        let notification = try #require(try watcher.nextNotification())
        #expect(notification.method == "bootstrap.changed")
    }
}
