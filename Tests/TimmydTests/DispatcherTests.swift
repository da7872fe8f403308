import Logging
import Protocol
import Synchronization
import Testing
@testable import timmyd

/// Counts handler runs by method, safely from concurrent tasks.
private final class CallLog: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func record(_ method: MethodName) { counts.withLock { $0[method.rawValue, default: 0] += 1 } }
    func count(_ method: MethodName) -> Int { counts.withLock { $0[method.rawValue] ?? 0 } }
    var total: Int { counts.withLock { $0.values.reduce(0, +) } }
}

/// An error whose text must never reach a caller.
private struct InternalFailure: Error, CustomStringConvertible {
    var description: String { "database at /var/lib/timmyd/secret-path exploded: token=sk-INTERNAL" }
}

private let client = Caller(pid: 100, uid: 1000, gid: 1000, role: .client)
private let admin = Caller(pid: 101, uid: 0, gid: 0, role: .admin)

@Suite struct DispatcherTests {
    fileprivate let calls = CallLog()
    let dispatcher: Dispatcher

    init() {
        let calls = self.calls
        dispatcher = Dispatcher(
            handlers: [
                .daemonInfo: { params, caller in
                    calls.record(.daemonInfo)
                    return MethodOutcome(["uid": .int(Int64(caller.uid)), "params": params ?? .null])
                },
                .stats: { _, _ in
                    calls.record(.stats)
                    return MethodOutcome(["jobs": 3])
                },
                .status: { _, _ in
                    calls.record(.status)
                    throw InternalFailure()
                },
                .cancel: { _, _ in
                    calls.record(.cancel)
                    throw JSONRPCError.application(.wrongState, "Only an unpaid job can be cancelled.")
                },
                .watch: { _, _ in
                    calls.record(.watch)
                    return MethodOutcome(["watching": true], followUp: { _ in })
                },
            ],
            logger: Logger(label: "dispatcher-tests", factory: { _ in SwiftLogNoOpLogHandler() }))
    }

    private func handle(_ line: String, as caller: Caller = client) async -> JSONValue? {
        await dispatcher.handle(line: Array(line.utf8), caller: caller).reply
    }

    // MARK: Roles

    @Test func clientCallingAnAdminMethodIsForbiddenAndTheHandlerNeverRuns() async throws {
        let reply = try #require(await handle(#"{"jsonrpc":"2.0","method":"admin.stats","id":1}"#))
        #expect(reply["id"] == 1)
        #expect(reply["error"]?["code"] == -32001)
        #expect(reply["error"]?["data"]?["reason"] == "forbidden")
        #expect(reply["result"] == nil)
        #expect(calls.count(.stats) == 0)
    }

    @Test func adminCallingAnAdminMethodRunsIt() async throws {
        let reply = try #require(await handle(#"{"jsonrpc":"2.0","method":"admin.stats","id":1}"#, as: admin))
        #expect(reply == ["jsonrpc": "2.0", "id": 1, "result": ["jobs": 3]])
        #expect(calls.count(.stats) == 1)
    }

    @Test func adminMayCallClientMethods() async throws {
        let reply = try #require(await handle(#"{"jsonrpc":"2.0","method":"daemon.info","id":"a"}"#, as: admin))
        #expect(reply["result"]?["uid"] == 0)
    }

    @Test func forbiddenNotificationGetsNoReplyAndDoesNotRun() async {
        #expect(await handle(#"{"jsonrpc":"2.0","method":"admin.stats"}"#) == nil)
        #expect(calls.total == 0)
    }

    @Test func forbiddenEntryInABatchDoesNotStopTheOthers() async throws {
        let reply = try #require(
            await handle(
                #"[{"jsonrpc":"2.0","method":"admin.stats","id":1},{"jsonrpc":"2.0","method":"daemon.info","id":2}]"#))
        let entries = try #require(reply.arrayValue)
        #expect(entries.count == 2)
        #expect(entries.first?["error"]?["code"] == -32001)
        #expect(entries.last?["result"]?["uid"] == 1000)
        #expect(calls.count(.stats) == 0)
        #expect(calls.count(.daemonInfo) == 1)
    }

    // MARK: Requests and notifications

    @Test func requestGetsItsResultWithItsIDAndParams() async throws {
        let reply = await handle(#"{"jsonrpc":"2.0","method":"daemon.info","params":{"x":1},"id":"req-7"}"#)
        #expect(reply == ["jsonrpc": "2.0", "id": "req-7", "result": ["uid": 1000, "params": ["x": 1]]])
    }

    @Test func nullIDRequestIsAnsweredWithNullID() async throws {
        let reply = try #require(await handle(#"{"jsonrpc":"2.0","method":"daemon.info","id":null}"#))
        #expect(reply["id"] == .null)
        #expect(reply["result"] != nil)
    }

    @Test func notificationRunsButGetsNoReply() async {
        #expect(await handle(#"{"jsonrpc":"2.0","method":"daemon.info"}"#) == nil)
        #expect(calls.count(.daemonInfo) == 1)
    }

    @Test func notificationOfAnUnknownMethodGetsNoReply() async {
        #expect(await handle(#"{"jsonrpc":"2.0","method":"no.such"}"#) == nil)
    }

    @Test func failingNotificationGetsNoReply() async {
        #expect(await handle(#"{"jsonrpc":"2.0","method":"bootstrap.status"}"#) == nil)
        #expect(calls.count(.status) == 1)
    }

    @Test func batchOfNotificationsHasNoReply() async {
        let line = #"[{"jsonrpc":"2.0","method":"daemon.info"},{"jsonrpc":"2.0","method":"no.such"},{"jsonrpc":"2.0","method":"admin.stats"}]"#
        #expect(await handle(line) == nil)
        #expect(calls.count(.daemonInfo) == 1)
        #expect(calls.count(.stats) == 0)
    }

    @Test func mixedBatchAnswersOnlyTheRequestsInOrder() async throws {
        let line = """
            [{"jsonrpc":"2.0","method":"daemon.info","id":1},{"jsonrpc":"2.0","method":"daemon.info"},\
            {"foo":"boo"},{"jsonrpc":"2.0","method":"no.such","id":"5"},{"jsonrpc":"2.0","method":"admin.stats","id":9}]
            """
        let entries = try #require(await handle(line)?.arrayValue)
        #expect(entries.map { $0["id"] } == [1, .null, "5", 9])
        #expect(entries[0]["result"] != nil)
        #expect(entries[1]["error"]?["code"] == -32600)
        #expect(entries[2]["error"]?["code"] == -32601)
        #expect(entries[3]["error"]?["code"] == -32001)
        #expect(calls.count(.daemonInfo) == 2)
    }

    @Test func invalidJSONGetsOneParseErrorWithNullID() async throws {
        let reply = try #require(await handle(#"{"jsonrpc":"2.0","method":"#))
        #expect(reply["id"] == .null)
        #expect(reply["error"]?["code"] == -32700)
    }

    @Test func emptyBatchGetsOneInvalidRequest() async throws {
        let reply = try #require(await handle("[]"))
        #expect(reply["error"]?["code"] == -32600)
        #expect(reply["id"] == .null)
        #expect(reply.arrayValue == nil, "one error object, not an array")
    }

    @Test func batchOfNonObjectsGetsAnErrorForEach() async throws {
        let entries = try #require(await handle("[1,2,3]")?.arrayValue)
        #expect(entries.count == 3)
        #expect(entries.allSatisfy { $0["error"]?["code"] == -32600 && $0["id"] == .null })
    }

    // MARK: Errors

    @Test func unknownMethodIsMethodNotFound() async throws {
        let reply = try #require(await handle(#"{"jsonrpc":"2.0","method":"bootstrap.nope","id":3}"#))
        #expect(reply["error"]?["code"] == -32601)
        #expect(reply["id"] == 3)
        #expect(calls.total == 0)
    }

    @Test func methodKnownToTheProtocolButWithoutAHandlerIsMethodNotFound() async throws {
        let reply = try #require(await handle(#"{"jsonrpc":"2.0","method":"bootstrap.create","id":3}"#))
        #expect(reply["error"]?["code"] == -32601)
    }

    @Test func jsonRPCErrorFromAHandlerIsPassedThrough() async throws {
        let reply = try #require(await handle(#"{"jsonrpc":"2.0","method":"bootstrap.cancel","id":4}"#))
        #expect(reply["error"]?["code"] == -32004)
        #expect(reply["error"]?["data"]?["reason"] == "wrong_state")
        #expect(reply["error"]?["message"] == "Only an unpaid job can be cancelled.")
    }

    @Test func otherErrorFromAHandlerIsInternalErrorWithoutItsText() async throws {
        let reply = try #require(await handle(#"{"jsonrpc":"2.0","method":"bootstrap.status","id":5}"#))
        #expect(reply["error"]?["code"] == -32603)
        #expect(reply["id"] == 5)
        let text = reply.serialized()
        #expect(!text.contains("secret-path"))
        #expect(!text.contains("sk-INTERNAL"))
        #expect(!text.contains("InternalFailure"))
        #expect(calls.count(.status) == 1)
    }

    // MARK: Follow-ups

    @Test func followUpIsReturnedForARequestButNotForANotification() async {
        let request = await dispatcher.handle(
            line: Array(#"{"jsonrpc":"2.0","method":"bootstrap.watch","id":1}"#.utf8), caller: client)
        #expect(request.followUps.count == 1)
        let notification = await dispatcher.handle(
            line: Array(#"{"jsonrpc":"2.0","method":"bootstrap.watch"}"#.utf8), caller: client)
        #expect(notification.reply == nil)
        #expect(notification.followUps.isEmpty)
    }
}
