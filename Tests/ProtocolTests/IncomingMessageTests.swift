import Testing
@testable import Protocol

/// Classifies one wire line.
private func classify(_ text: String) -> IncomingMessage {
    IncomingMessage(line: Array(text.utf8))
}

/// The one entry of a non-batch line; records an issue for anything else.
private func single(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> IncomingEntry {
    guard case .single(let entry) = classify(text) else {
        Issue.record("expected a single entry for \(text), got \(classify(text))", sourceLocation: sourceLocation)
        throw Unexpected()
    }
    return entry
}

/// The entries of a batch line; records an issue for anything else.
private func batch(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> [IncomingEntry] {
    guard case .batch(let entries) = classify(text) else {
        Issue.record("expected a batch for \(text), got \(classify(text))", sourceLocation: sourceLocation)
        throw Unexpected()
    }
    return entries
}

private struct Unexpected: Error {}

extension IncomingEntry {
    /// The request, nil when the entry is invalid.
    fileprivate var request: JSONRPCRequest? {
        if case .request(let request) = self { return request }
        return nil
    }

    /// The error code and reply id of an invalid entry, nil for a request.
    fileprivate var invalid: (code: Int, id: JSONRPCID)? {
        if case .invalid(let error, let id) = self { return (error.code, id) }
        return nil
    }
}

/// Examples from section 7 of the JSON-RPC 2.0 specification, and the rules of
/// sections 4 to 6 the daemon must follow exactly.
@Suite struct IncomingMessageTests {
    // MARK: Single requests

    @Test func requestWithPositionalParams() throws {
        let entry = try single(#"{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}"#)
        #expect(entry == .request(JSONRPCRequest(method: "subtract", params: [42, 23], id: .number(1))))
    }

    @Test func requestWithNamedParams() throws {
        let entry = try single(#"{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}"#)
        #expect(
            entry == .request(JSONRPCRequest(method: "subtract", params: ["subtrahend": 23, "minuend": 42], id: .number(3))))
    }

    @Test func requestWithoutParamsHasNilParams() throws {
        let request = try #require(try single(#"{"jsonrpc": "2.0", "method": "daemon.info", "id": 7}"#).request)
        #expect(request.params == nil)
        #expect(!request.isNotification)
    }

    @Test func requestWithStringID() throws {
        let request = try #require(try single(#"{"jsonrpc": "2.0", "method": "m", "id": "abc-1"}"#).request)
        #expect(request.id == .string("abc-1"))
    }

    @Test func requestWithNegativeAndLargeNumberIDs() throws {
        #expect(try single(#"{"jsonrpc": "2.0", "method": "m", "id": -5}"#).request?.id == .number(-5))
        #expect(
            try single(#"{"jsonrpc": "2.0", "method": "m", "id": 9223372036854775807}"#).request?.id
                == .number(Int64.max))
    }

    @Test func nullIDIsARequestNotANotification() throws {
        let request = try #require(try single(#"{"jsonrpc": "2.0", "method": "m", "id": null}"#).request)
        #expect(request.id == .null)
        #expect(!request.isNotification)
    }

    // MARK: Notifications

    @Test func notificationHasNoID() throws {
        let request = try #require(try single(#"{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}"#).request)
        #expect(request.id == nil)
        #expect(request.isNotification)
        #expect(request.params == [1, 2, 3, 4, 5])
        let bare = try #require(try single(#"{"jsonrpc": "2.0", "method": "foobar"}"#).request)
        #expect(bare.isNotification)
    }

    // MARK: Invalid JSON

    @Test func invalidJSONIsOneParseError() {
        guard case .unusable(let error) = classify(#"{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]"#) else {
            Issue.record("expected a parse error")
            return
        }
        #expect(error.code == -32700)
        #expect(error.reason == "parse_error")
    }

    @Test func batchWithInvalidJSONIsOneParseError() {
        let line = #"[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method"]"#
        guard case .unusable(let error) = classify(line) else {
            Issue.record("expected a parse error")
            return
        }
        #expect(error.code == -32700)
    }

    @Test func duplicateMembersInARequestAreAParseError() {
        guard case .unusable(let error) = classify(#"{"jsonrpc": "2.0", "method": "a", "method": "b", "id": 1}"#) else {
            Issue.record("expected a parse error")
            return
        }
        #expect(error.code == -32700)
    }

    // MARK: Invalid requests

    @Test func methodNotAStringIsInvalidWithNullID() throws {
        let invalid = try #require(try single(#"{"jsonrpc": "2.0", "method": 1, "params": "bar"}"#).invalid)
        #expect(invalid.code == -32600)
        #expect(invalid.id == .null)
    }

    @Test func methodMissingOrNullIsInvalidAndKeepsTheID() throws {
        let missing = try #require(try single(#"{"jsonrpc": "2.0", "id": 4}"#).invalid)
        #expect(missing.code == -32600)
        #expect(missing.id == .number(4))
        let null = try #require(try single(#"{"jsonrpc": "2.0", "method": null, "id": "x"}"#).invalid)
        #expect(null.code == -32600)
        #expect(null.id == .string("x"))
    }

    @Test func missingJSONRPCMemberIsInvalidAndKeepsTheID() throws {
        let invalid = try #require(try single(#"{"method": "m", "id": 9}"#).invalid)
        #expect(invalid.code == -32600)
        #expect(invalid.id == .number(9))
    }

    @Test(arguments: [#""1.0""#, #""2""#, "2.0", "2", "null", #""2.0 ""#, #"["2.0"]"#])
    func wrongJSONRPCVersionIsInvalid(_ version: String) throws {
        let invalid = try #require(try single(#"{"jsonrpc": \#(version), "method": "m", "id": 1}"#).invalid)
        #expect(invalid.code == -32600)
        #expect(invalid.id == .number(1))
    }

    @Test(arguments: ["1.5", "1.0", "1e3", "{}", #"{"a": 1}"#, "[]", "[1]", "true"])
    func idThatIsNotStringIntegerOrNullIsInvalidWithNullID(_ id: String) throws {
        let invalid = try #require(try single(#"{"jsonrpc": "2.0", "method": "m", "id": \#(id)}"#).invalid)
        #expect(invalid.code == -32600)
        #expect(invalid.id == .null)
    }

    @Test(arguments: [#""bar""#, "1", "true", "null"])
    func paramsThatAreNotStructuredAreInvalid(_ params: String) throws {
        let invalid = try #require(try single(#"{"jsonrpc": "2.0", "method": "m", "params": \#(params), "id": 2}"#).invalid)
        #expect(invalid.code == -32600)
        #expect(invalid.id == .number(2))
    }

    @Test func invalidNotificationStillGetsAnErrorEntryWithNullID() throws {
        let invalid = try #require(try single(#"{"jsonrpc": "2.0", "method": "m", "params": "bar"}"#).invalid)
        #expect(invalid.code == -32600)
        #expect(invalid.id == .null)
    }

    @Test func unknownTopLevelMembersAreRefused() throws {
        let entry = try single(#"{"jsonrpc": "2.0", "method": "m", "id": 1, "extra": true}"#)
        guard case .invalid(let error, let id) = entry else {
            Issue.record("expected invalid, got \(entry)")
            return
        }
        #expect(error.code == -32600)
        #expect(error.message.contains("\"extra\""))
        #expect(id == .number(1))
    }

    @Test(arguments: ["1", #""text""#, "null", "true"])
    func nonObjectTopLevelIsInvalidRequest(_ line: String) throws {
        let invalid = try #require(try single(line).invalid)
        #expect(invalid.code == -32600)
        #expect(invalid.id == .null)
    }

    // MARK: Batches

    @Test func emptyBatchIsOneInvalidRequest() {
        guard case .unusable(let error) = classify("[]") else {
            Issue.record("expected one error for the empty batch")
            return
        }
        #expect(error.code == -32600)
        #expect(error.reason == "invalid_request")
    }

    @Test func batchOfOneNonObjectIsOneInvalidEntry() throws {
        let entries = try batch("[1]")
        #expect(entries.count == 1)
        #expect(entries.first?.invalid?.code == -32600)
    }

    @Test func batchOfThreeNumbersIsThreeInvalidEntries() throws {
        let entries = try batch("[1,2,3]")
        #expect(entries.count == 3)
        for entry in entries {
            #expect(entry.invalid?.code == -32600)
            #expect(entry.invalid?.id == .null)
        }
    }

    @Test func mixedBatchClassifiesEachEntryInOrder() throws {
        let entries = try batch(
            """
            [
                {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
                {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
                {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
                {"foo": "boo"},
                {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
                {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
            ]
            """.split(separator: "\n").joined(separator: " "))
        try #require(entries.count == 6)
        #expect(entries[0] == .request(JSONRPCRequest(method: "sum", params: [1, 2, 4], id: .string("1"))))
        #expect(entries[1] == .request(JSONRPCRequest(method: "notify_hello", params: [7], id: nil)))
        #expect(entries[2] == .request(JSONRPCRequest(method: "subtract", params: [42, 23], id: .string("2"))))
        #expect(entries[3].invalid?.code == -32600)
        #expect(entries[3].invalid?.id == .null)
        #expect(entries[4] == .request(JSONRPCRequest(method: "foo.get", params: ["name": "myself"], id: .string("5"))))
        #expect(entries[5] == .request(JSONRPCRequest(method: "get_data", params: nil, id: .string("9"))))
    }

    @Test func batchOfNotificationsIsABatchOfNotifications() throws {
        let entries = try batch(
            #"[{"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]}, {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}]"#
        )
        #expect(entries.count == 2)
        #expect(entries.allSatisfy { $0.request?.isNotification == true })
    }

    @Test func nestedEmptyBatchIsOneInvalidEntryNotAnEmptyBatch() throws {
        let entries = try batch("[[]]")
        #expect(entries.count == 1)
        #expect(entries.first?.invalid?.code == -32600)
    }

    // MARK: Requests as written

    @Test func requestJSONLeavesOutParamsAndIDWhenAbsent() {
        #expect(JSONRPCRequest(method: "m", id: nil).json == ["jsonrpc": "2.0", "method": "m"])
        #expect(
            JSONRPCRequest(method: "m", params: ["a": 1], id: .null).json
                == ["jsonrpc": "2.0", "method": "m", "params": ["a": 1], "id": nil])
    }

    @Test func writtenRequestClassifiesBackToItself() throws {
        let request = JSONRPCRequest(method: "bootstrap.status", params: ["jobId": "x"], id: .string("q"))
        #expect(try single(request.json.serialized()) == .request(request))
    }
}
