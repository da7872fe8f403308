import Foundation
import Protocol
import Testing

/// Finding: one JSON-RPC client that never read its replies sent 150 batches of 1,326
/// calls; the daemon read and ran them all, holding every reply (1.44 GB RSS), and
/// other callers timed out. Now a batch has at most `MAX_BATCH_LENGTH` calls, a
/// connection has at most `MAX_REQUESTS_IN_FLIGHT` lines being answered, and the daemon
/// stops reading from a connection whose replies are not being read.
@Suite(.serialized) struct NonReadingBatchFloodTests {
    /// One line: a batch of `length` `daemon.info` calls (1,326 of them just fit the default 64 KiB line).
    static func batch(_ length: Int) -> [UInt8] {
        let calls = [String](repeating: #"{"jsonrpc":"2.0","id":1,"method":"daemon.info"}"#, count: length)
        return Array(("[" + calls.joined(separator: ",") + "]\n").utf8)
    }

    @Test func theReviewersAttackGetsOneSmallErrorPerBatch() throws {
        let daemon = try DaemonHarness().start()
        let attacker = try RawSocket(path: daemon.socketPath)
        attacker.setSendTimeout(seconds: 3)
        let line = Self.batch(1326)
        for _ in 0..<150 { attacker.sendAll(line) }
        daemon.expectAdminStillServed()
        daemon.expectResidentAtMost(64)
        // Each over-long batch was one error, and nothing in it ran.
        let reader = RawLineReader(attacker)
        for _ in 0..<150 {
            let reply = try #require(reader.nextJSON())
            #expect(reply["error"]?["code"] == .int(Int64(JSONRPCError.invalidRequestCode)))
            #expect(reply["error"]?["data"]?["reason"] == "batch_too_long")
            #expect(reply["error"]?["data"]?["limit"] == 100)
        }
    }

    @Test func aClientThatNeverReadsIsClosedAfterTheIdleTimeout() throws {
        let daemon = try DaemonHarness(environment: ["IDLE_TIMEOUT_SECONDS": "1"]).start()
        let attacker = try RawSocket(path: daemon.socketPath)
        attacker.setSendTimeout(seconds: 1)
        let line = Self.batch(100)
        for _ in 0..<3000 where attacker.sendAll(line) == line.count {}
        // Its replies are never read, so nothing moves for a second: the daemon hangs up,
        // and what it had written is all the caller ever gets.
        usleep(2_500_000)
        let reader = RawLineReader(attacker)
        var replies = 0
        while reader.next() != nil { replies += 1 }
        #expect(replies < 3000)
        var buffer = [UInt8](repeating: 0, count: 16)
        #expect(recv(attacker.descriptor, &buffer, 16, Int32(MSG_DONTWAIT)) == 0, "the connection is still open")
        daemon.expectAdminStillServed()
    }

    @Test func aClientThatNeverReadsIsNoLongerReadFrom() throws {
        let daemon = try DaemonHarness().start()
        let before = try #require(daemon.residentMiB())
        let attacker = try RawSocket(path: daemon.socketPath)
        attacker.setSendTimeout(seconds: 2)
        // 3,000 batches at the cap, 300,000 calls: far more replies than the socket buffers hold.
        let line = Self.batch(100)
        var sentLines = 0
        for _ in 0..<3000 {
            guard attacker.sendAll(line) == line.count else { break }
            sentLines += 1
        }
        // The daemon stopped reading long before the end: the send timed out.
        #expect(sentLines < 3000, "the daemon read all \(sentLines) batches from a client that reads nothing")
        daemon.expectAdminStillServed()
        daemon.expectResidentAtMost(before + 48)
        // Reading again resumes the connection: replies arrive in full, one per batch line.
        let reader = RawLineReader(attacker)
        for _ in 0..<min(sentLines, 50) {
            let reply = try #require(reader.nextJSON())
            #expect(reply.arrayValue?.count == 100)
        }
    }
}
