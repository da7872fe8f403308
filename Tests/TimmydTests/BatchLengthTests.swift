import Logging
import Protocol
import Synchronization
import Testing
@testable import timmyd

/// `MAX_BATCH_LENGTH`: an over-long batch is one error, and none of it runs.
@Suite struct BatchLengthTests {
    final class Runs: Sendable {
        let count = Mutex(0)
    }
    let runs = Runs()

    func dispatcher(maximumBatchLength: Int) -> Dispatcher {
        Dispatcher(
            handlers: [
                .daemonInfo: { [runs] _, _ in
                    runs.count.withLock { $0 += 1 }
                    return MethodOutcome(["ok": true])
                }
            ], maximumBatchLength: maximumBatchLength, logger: Logger(label: "test"))
    }

    func batch(_ length: Int) -> [UInt8] {
        let calls = (0..<length).map { #"{"jsonrpc":"2.0","id":\#($0),"method":"daemon.info"}"# }
        return Array(("[" + calls.joined(separator: ",") + "]").utf8)
    }

    @Test func aBatchOverTheCapIsOneInvalidRequestAndNothingRuns() async throws {
        let (reply, followUps) = await dispatcher(maximumBatchLength: 3).handle(line: batch(4), caller: .testClient)
        let error = try #require(reply?["error"])
        #expect(error["code"] == .int(Int64(JSONRPCError.invalidRequestCode)))
        #expect(error["data"]?["reason"] == "batch_too_long")
        #expect(error["data"]?["limit"] == 3)
        #expect(reply?["id"] == .null)
        #expect(followUps.isEmpty)
        #expect(runs.count.withLock { $0 } == 0)
    }

    @Test func aBatchAtTheCapRunsWhole() async {
        let (reply, _) = await dispatcher(maximumBatchLength: 3).handle(line: batch(3), caller: .testClient)
        #expect(reply?.arrayValue?.count == 3)
        #expect(runs.count.withLock { $0 } == 3)
    }
}

extension Caller {
    static let testClient = Caller(pid: 100, uid: 1000, gid: 1000, role: .client)
}

/// The raw-bytes count that refuses an over-long batch before parsing it.
@Suite struct BatchLengthScanTests {
    func exceeds(_ text: String, _ limit: Int) -> Bool { BatchLength.exceeds(Array(text.utf8), limit: limit) }

    @Test func countsOnlyTopLevelElements() {
        #expect(exceeds("[1,2,3]", 2))
        #expect(!exceeds("[1,2,3]", 3))
        #expect(!exceeds(#"[{"a":[1,2,3,4]},{"b":{"c":1,"d":2}}]"#, 2))
        #expect(!exceeds(#"["a,b,c,d", "e\",f,g"]"#, 2))
        #expect(exceeds(#"  ["a,b", "c", "d"]"#, 2))
    }

    @Test func anythingButAnArrayIsLeftToTheParser() {
        #expect(!exceeds(#"{"a":1,"b":2,"c":3}"#, 1))
        #expect(!exceeds("", 1))
        #expect(!exceeds("   ", 1))
        #expect(!exceeds("[1],2,3,4", 1))
    }
}
