import Foundation
import Protocol
import Testing

/// What the daemon answers to every kind of line, sent as raw bytes.
@Suite(.serialized)
struct WireProtocolTests {
    let daemon: DaemonHarness

    init() throws {
        daemon = try DaemonHarness(environment: ["MAX_REQUEST_BYTES": "4096"]).start()
    }

    func exchange(_ client: RPCClient, _ text: String) throws -> JSONValue {
        try client.sendRaw(Array(text.utf8))
        return try JSONValue.parse(try #require(try client.readLine()))
    }

    @Test func malformedJSONIsAParseErrorAndTheConnectionStaysUsable() throws {
        let client = try daemon.client()
        let reply = try exchange(client, "{\"jsonrpc\": \"2.0\", \"method\": \"daemon.info\", \"id\": 1\n")
        #expect(reply["error"]?["code"] == -32700)
        #expect(reply["id"] == .null)
        let next = try exchange(client, "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\",\"id\":2}\n")
        #expect(next["id"] == 2)
        #expect(next["result"]?["version"] != nil)
    }

    @Test func invalidRequestsGetInvalidRequest() throws {
        let client = try daemon.client()
        for line in [
            "{\"jsonrpc\":\"1.0\",\"method\":\"daemon.info\",\"id\":1}", "{\"method\":\"daemon.info\",\"id\":1}",
            "{\"jsonrpc\":\"2.0\",\"method\":1,\"id\":1}", "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\",\"params\":\"x\",\"id\":1}",
            "\"just a string\"", "42",
        ] {
            let reply = try exchange(client, line + "\n")
            #expect(reply["error"]?["code"] == -32600, "\(line)")
        }
        let badID = try exchange(client, "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\",\"id\":{\"a\":1}}\n")
        #expect(badID["error"]?["code"] == -32600)
        #expect(badID["id"] == .null)
    }

    @Test func unknownMethodIsMethodNotFound() throws {
        let reply = try exchange(try daemon.client(), "{\"jsonrpc\":\"2.0\",\"method\":\"bootstrap.nope\",\"id\":\"x\"}\n")
        #expect(reply["error"]?["code"] == -32601)
        #expect(reply["id"] == "x")
    }

    @Test func wrongParamsAreInvalidParams() throws {
        let client = try daemon.client()
        for params in [
            "[\"positional\"]", "{\"jobId\":1,\"accessToken\":\"t\"}", "{\"jobId\":\"j\"}", "{\"jobId\":\"j\",\"accessToken\":\"t\",\"extra\":1}",
        ] {
            let reply = try exchange(client, "{\"jsonrpc\":\"2.0\",\"method\":\"bootstrap.status\",\"params\":\(params),\"id\":7}\n")
            #expect(reply["error"]?["code"] == -32602, "\(params)")
            #expect(reply["error"]?["data"]?["reason"] == "invalid_params")
        }
        let label = try exchange(client, "{\"jsonrpc\":\"2.0\",\"method\":\"bootstrap.create\",\"params\":{\"label\":\"\(String(repeating: "x", count: 201))\"},\"id\":8}\n")
        #expect(label["error"]?["code"] == -32602)
        #expect(try daemon.call("admin.jobs.list")["jobs"]?.arrayValue?.isEmpty == true)
    }

    @Test func overLongLineIsAParseErrorAndClosesTheConnection() throws {
        let client = try daemon.client()
        let other = try daemon.client()
        let huge = "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\",\"params\":{\"pad\":\"" + String(repeating: "a", count: 10_000) + "\"},\"id\":1}\n"
        let reply = try exchange(client, huge)
        #expect(reply["error"]?["code"] == -32700)
        #expect(reply["error"]?["data"]?["reason"] == "line_too_long")
        #expect(try client.readLine() == nil)
        // Nobody else is affected.
        #expect((try? other.call("daemon.info")) != nil)
    }

    @Test func batchesAreAnsweredAsTheSpecificationSays() throws {
        let client = try daemon.client()
        let empty = try exchange(client, "[]\n")
        #expect(empty["error"]?["code"] == -32600)

        let junk = try exchange(client, "[1,2,3]\n")
        #expect(junk.arrayValue?.count == 3)
        #expect(junk.arrayValue?.allSatisfy { $0["error"]?["code"] == -32600 } == true)

        let mixed = try exchange(
            client,
            "[{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\",\"id\":1},{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\"},"
                + "{\"jsonrpc\":\"2.0\",\"method\":\"nope\",\"id\":2},{\"foo\":\"bar\"}]\n")
        let replies = try #require(mixed.arrayValue)
        #expect(replies.count == 3)
        #expect(replies.contains { $0["id"] == 1 && $0["result"] != nil })
        #expect(replies.contains { $0["id"] == 2 && $0["error"]?["code"] == -32601 })
        #expect(replies.contains { $0["id"] == .null && $0["error"]?["code"] == -32600 })

        // A batch of notifications gets no reply at all: the next reply is for the next request.
        let next = try exchange(
            client,
            "[{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\"},{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\"}]\n"
                + "{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\",\"id\":99}\n")
        #expect(next["id"] == 99)
    }

    @Test func notificationGetsNoReplyEvenForAnUnknownMethod() throws {
        let client = try daemon.client()
        let reply = try exchange(
            client, "{\"jsonrpc\":\"2.0\",\"method\":\"nope\"}\n{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\",\"id\":5}\n")
        #expect(reply["id"] == 5)
    }

    @Test func halfClosedClientStillGetsEveryReplyThenEOF() throws {
        let client = try daemon.client()
        try client.sendRaw(Array("{\"jsonrpc\":\"2.0\",\"method\":\"daemon.info\",\"id\":1}\n{\"jsonrpc\":\"2.0\",\"method\":\"bootstrap.create\",\"id\":2}".utf8))
        client.shutdownWrite()
        var ids: [JSONValue] = []
        while let line = try client.readLine() { ids.append(try JSONValue.parse(line)["id"] ?? .null) }
        // The last line had no newline and was answered all the same.
        #expect(Set(ids.compactMap(\.intValue)) == [1, 2])
    }

    @Test func openRPCDocumentListsEveryMethodWithItsRole() throws {
        let document = try daemon.call("rpc.discover")
        let methods = try #require(document["methods"]?.arrayValue)
        #expect(Set(methods.compactMap { $0["name"]?.stringValue }) == Set(MethodName.allCases.map(\.rawValue)))
        #expect(methods.first { $0["name"] == "admin.stats" }?["x-role"] == "admin")
        let confirm = try #require(methods.first { $0["name"] == "bootstrap.confirmKey" })
        #expect(confirm["x-role"] == "client")
        #expect(confirm["params"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["jobId", "accessToken", "sshKeyFingerprint"])
        #expect(confirm["result"]?["name"] == "ConfirmKeyResult")
    }
}
