import Testing
@testable import Protocol

/// What the client makes of one line from the server.
private func read(_ text: String) throws(JSONRPCError) -> ServerMessage {
    try ServerMessage(line: Array(text.utf8))
}

private func readError(_ text: String) -> JSONRPCError? {
    do {
        _ = try read(text)
        return nil
    } catch {
        return error
    }
}

@Suite struct ServerMessageTests {
    @Test func successResponse() throws {
        let message = try read(#"{"jsonrpc": "2.0", "result": 19, "id": 1}"#)
        #expect(message == .response(JSONRPCResponse(id: .number(1), outcome: .success(19))))
    }

    @Test func nullResultIsStillASuccess() throws {
        let message = try read(#"{"jsonrpc": "2.0", "result": null, "id": "a"}"#)
        #expect(message == .response(JSONRPCResponse(id: .string("a"), outcome: .success(.null))))
    }

    @Test func errorResponseCarriesCodeMessageAndReason() throws {
        let message = try read(
            #"{"jsonrpc": "2.0", "error": {"code": -32001, "message": "admin only", "data": {"reason": "forbidden"}}, "id": 4}"#
        )
        guard case .response(let response) = message, case .failure(let error) = response.outcome else {
            Issue.record("expected an error response, got \(message)")
            return
        }
        #expect(response.id == .number(4))
        #expect(error.code == -32001)
        #expect(error.message == "admin only")
        #expect(error.reason == "forbidden")
        #expect(error.description == "admin only (forbidden)")
    }

    @Test func errorResponseWithNullID() throws {
        let message = try read(#"{"jsonrpc": "2.0", "error": {"code": -32700, "message": "Parse error"}, "id": null}"#)
        #expect(
            message == .response(JSONRPCResponse(id: .null, outcome: .failure(JSONRPCError(code: -32700, message: "Parse error")))))
    }

    @Test func batchOfResponses() throws {
        let message = try read(
            #"[{"jsonrpc": "2.0", "result": 7, "id": "1"}, {"jsonrpc": "2.0", "error": {"code": -32601, "message": "Method not found"}, "id": "5"}]"#
        )
        #expect(
            message
                == .batch([
                    JSONRPCResponse(id: .string("1"), outcome: .success(7)),
                    JSONRPCResponse(
                        id: .string("5"), outcome: .failure(JSONRPCError(code: -32601, message: "Method not found"))),
                ]))
    }

    @Test func notification() throws {
        let message = try read(#"{"jsonrpc": "2.0", "method": "bootstrap.changed", "params": {"state": "ready"}}"#)
        #expect(message == .notification(method: "bootstrap.changed", params: ["state": "ready"]))
    }

    @Test func notificationWithoutParams() throws {
        #expect(try read(#"{"jsonrpc": "2.0", "method": "ping"}"#) == .notification(method: "ping", params: nil))
    }

    @Test func responseWrittenByTheServerReadsBack() throws {
        let responses = [
            JSONRPCResponse(id: .number(3), outcome: .success(["jobId": "x", "nested": [1, 2]])),
            JSONRPCResponse(id: .string("s"), outcome: .failure(.application(.notFound, "No job with that id."))),
            JSONRPCResponse(id: .null, outcome: .failure(.invalidRequest("empty batch"))),
        ]
        for response in responses {
            #expect(try read(response.json.serialized()) == .response(response))
        }
        #expect(try read(JSONValue.array(responses.map(\.json)).serialized()) == .batch(responses))
    }

    @Test func notJSONIsAParseError() {
        #expect(readError("{oops")?.code == -32700)
    }

    @Test func responseWithoutJSONRPCVersionIsRefused() {
        #expect(readError(#"{"result": 1, "id": 1}"#)?.code == -32600)
    }

    @Test func responseWithoutIDIsRefused() {
        #expect(readError(#"{"jsonrpc": "2.0", "result": 1}"#)?.code == -32600)
    }

    @Test func responseWithNeitherResultNorErrorIsRefused() {
        #expect(readError(#"{"jsonrpc": "2.0", "id": 1}"#)?.code == -32600)
    }

    @Test func errorObjectWithoutCodeIsRefused() {
        #expect(readError(#"{"jsonrpc": "2.0", "error": {"message": "x"}, "id": 1}"#)?.code == -32600)
    }

    @Test func batchWithOneMalformedEntryIsRefused() {
        #expect(readError(#"[{"jsonrpc": "2.0", "result": 1, "id": 1}, 2]"#)?.code == -32600)
    }
}

@Suite struct JSONRPCErrorTests {
    @Test func applicationCodesAreDistinctAndInTheImplementationRange() {
        let codes = ApplicationErrorReason.allCases.map(\.code)
        #expect(Set(codes).count == codes.count)
        #expect(codes.allSatisfy { (-32099)...(-32000) ~= $0 })
        #expect(ApplicationErrorReason.forbidden.code == -32001)
    }

    @Test func applicationErrorCarriesItsReasonAndExtras() {
        let error = JSONRPCError.application(.keyAlreadyClaimed, "gone", extra: ["claimedAt": "t", "reason": "spoof"])
        #expect(error.code == -32005)
        #expect(error.reason == "key_already_claimed", "the reason word cannot be overridden by extras")
        #expect(error.data?["claimedAt"] == "t")
    }

    @Test func standardErrorsHaveTheSpecCodes() {
        #expect(JSONRPCError.parseError("x").code == -32700)
        #expect(JSONRPCError.invalidRequest("x").code == -32600)
        #expect(JSONRPCError.methodNotFound("x").code == -32601)
        #expect(JSONRPCError.invalidParams("x").code == -32602)
        #expect(JSONRPCError.internalError().code == -32603)
        #expect(JSONRPCError.lineTooLong(limit: 10).code == -32700)
        #expect(JSONRPCError.lineTooLong(limit: 10).data?["limit"] == 10)
    }

    @Test func methodNotFoundTruncatesAHugeMethodName() {
        let error = JSONRPCError.methodNotFound(String(repeating: "m", count: 10_000))
        #expect(error.message.count < 200)
    }

    @Test func errorJSONRoundTrips() {
        let error = JSONRPCError.invalidParams("bad", field: "limit")
        #expect(JSONRPCError(json: error.json) == error)
        #expect(JSONRPCError(json: ["code": 1]) == nil)
        #expect(JSONRPCError(code: 1, message: "m").json == ["code": 1, "message": "m"], "no data member when none")
    }

    @Test func idsWriteAsTheirJSON() {
        #expect(JSONRPCID.string("a").json == "a")
        #expect(JSONRPCID.number(5).description == "5")
        #expect(JSONRPCID.null.description == "null")
        #expect(JSONRPCID(.double(1)) == nil)
    }
}
