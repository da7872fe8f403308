import Foundation
import Protocol
import Testing

/// Finding: 20,000 `bootstrap.watch` lines on one connection made 20,000 subscribers.
/// Now one connection holds at most `MAX_WATCHES_PER_CONNECTION` watches, and one job
/// has at most `MAX_WATCHES_PER_JOB` watchers; an extra watch gets `too_many_watches`.
@Suite(.serialized) struct WatchFloodTests {
    @Test func twentyThousandWatchLinesOnOneConnectionSubscribeOnlyUpToTheCap() throws {
        // The per-job cap out of the way: the per-connection cap is under test.
        let daemon = try DaemonHarness(environment: ["MAX_WATCHES_PER_JOB": "100000"]).start()
        let job = try daemon.create()
        let attacker = try RawSocket(path: daemon.socketPath, receiveTimeout: 20)
        let line = Array(JSONRPCRequest(method: "bootstrap.watch", params: daemon.credentials(job), id: .number(1)).json.serialized().utf8) + [10]
        // Sent from another thread while this one reads: the daemon stops reading from a
        // connection whose replies are not read.
        let box = UncheckedBox(attacker)
        let sender = Thread {
            let lines = Array([[UInt8]](repeating: line, count: 500).joined())
            for _ in 0..<40 { box.value.sendAll(lines) }
        }
        sender.start()
        let reader = RawLineReader(attacker)
        var watching = 0
        var refused = 0
        for _ in 0..<20_000 {
            guard let reply = reader.nextJSON() else { break }
            if reply["result"] != nil {
                watching += 1
            } else if reply["error"]?["data"]?["reason"] == "too_many_watches" {
                #expect(reply["error"]?["data"]?["scope"] == "connection")
                #expect(reply["error"]?["data"]?["limit"] == 32)
                refused += 1
            }
        }
        #expect(watching == 32)
        #expect(refused == 20_000 - 32)
        daemon.expectAdminStillServed()
        daemon.expectResidentAtMost(64)
        // The watches that were taken are real: each reports the payment.
        try daemon.simulatePayment(job.jobId)
        var notified = 0
        while notified < 32, let message = reader.nextJSON() {
            if message["method"] == "bootstrap.changed" { notified += 1 }
        }
        #expect(notified == 32)
    }

    @Test func aJobHasAtMostItsCapOfWatchersAcrossConnectionsAndStreams() throws {
        let daemon = try DaemonHarness(environment: ["MAX_WATCHES_PER_JOB": "2"]).start()
        let job = try daemon.create()
        var first: RawSocket? = try RawSocket(path: daemon.socketPath)
        let watchLine = JSONRPCRequest(method: "bootstrap.watch", params: daemon.credentials(job), id: .number(1)).json.serialized()
        first?.send(watchLine + "\n")
        #expect(RawLineReader(try #require(first)).nextJSON()?["result"] != nil)
        let stream = try RawSocket(path: daemon.socketPath)
        stream.send("GET /api/bootstrap/\(job.jobId)/events HTTP/1.1\r\nHost: timmyd\r\nAuthorization: Bearer \(job.accessToken)\r\n\r\n")
        let streamHead = try #require(RawLineReader(stream).next())
        #expect(String(decoding: streamHead, as: UTF8.self).hasPrefix("HTTP/1.1 200"))
        // A third watcher, over JSON-RPC or HTTP, is refused with a clear error.
        let error = try daemon.callError("bootstrap.watch", daemon.credentials(job))
        #expect(error.reason == "too_many_watches")
        #expect(error.data?["scope"] == "job")
        #expect(error.data?["limit"] == 2)
        #expect(error.code == ApplicationErrorReason.tooManyWatches.code)
        let refusedStream = try daemon.http("GET", "/api/bootstrap/\(job.jobId)/events", token: job.accessToken)
        #expect(refusedStream.status == 429)
        #expect(refusedStream.errorReason == "too_many_watches")
        // Another job is not affected, and a watcher that leaves frees its place.
        let other = try daemon.create()
        _ = try daemon.client().call("bootstrap.watch", daemon.credentials(other))
        first = nil
        var freed = false
        for _ in 0..<50 where !freed {
            freed = (try? daemon.client().call("bootstrap.watch", daemon.credentials(job))) != nil
            if !freed { usleep(20_000) }
        }
        #expect(freed)
        withExtendedLifetime(stream) {}
    }
}
