import Testing
@testable import Protocol

/// The JSON-RPC error `body` throws, nil when it returns (any other error is a test failure).
func thrownError<T>(
    sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> T
) -> JSONRPCError? {
    do {
        _ = try body()
        return nil
    } catch let error as JSONRPCError {
        return error
    } catch {
        Issue.record("expected a JSONRPCError, got \(error)", sourceLocation: sourceLocation)
        return nil
    }
}

@Suite struct JSONFieldsTests {
    static let allowed: Set<String> = ["name", "count", "flag", "state"]

    @Test func absentAndNullParamsMeanNoMembers() throws {
        #expect(try JSONFields(nil, allowed: Self.allowed).members.isEmpty)
        #expect(try JSONFields(.null, allowed: Self.allowed).members.isEmpty)
    }

    @Test func positionalParamsAreInvalidParams() throws {
        let error = try #require(thrownError { try JSONFields([1, 2], allowed: Self.allowed) })
        #expect(error.code == -32602)
        #expect(error.reason == "invalid_params")
        #expect(error.message.contains("by name"))
    }

    @Test(arguments: ["text", 1, true] as [JSONValue])
    func scalarParamsAreInvalidParams(_ params: JSONValue) throws {
        let error = try #require(thrownError { try JSONFields(params, allowed: Self.allowed) })
        #expect(error.code == -32602)
    }

    @Test func unknownFieldIsRefusedByName() throws {
        let error = try #require(thrownError { try JSONFields(["name": "x", "colour": "red"], allowed: Self.allowed) })
        #expect(error.code == -32602)
        #expect(error.message.contains("\"colour\""))
        #expect(error.data?["field"] == "colour")
        #expect(error.message.contains("count, flag, name, state"), "lists the known fields")
    }

    @Test func firstUnknownFieldInSortedOrderIsTheOneNamed() throws {
        let error = try #require(thrownError { try JSONFields(["zz": 1, "aa": 2], allowed: Self.allowed) })
        #expect(error.data?["field"] == "aa")
    }

    @Test func hugeUnknownFieldNameIsTruncatedInTheError() throws {
        let name = String(repeating: "x", count: 10_000)
        let error = try #require(thrownError { try JSONFields(.object([name: 1]), allowed: []) })
        #expect(error.message.count < 300)
        #expect(error.message.contains("known: none"))
    }

    @Test func readsEachTypedMember() throws {
        let fields = try JSONFields(["name": "n", "count": 3, "flag": false, "state": "ready"], allowed: Self.allowed)
        #expect(try fields.string("name") == "n")
        #expect(try fields.int("count") == 3)
        #expect(try fields.bool("flag") == false)
        #expect(try fields.required("state", as: JobState.self) == .ready)
    }

    @Test func wrongTypesNameTheFieldAndTheTypeGiven() throws {
        let fields = try JSONFields(["name": 1, "count": "3", "flag": "yes", "state": 5], allowed: Self.allowed)
        let name = try #require(thrownError { try fields.string("name") })
        #expect(name.code == -32602)
        #expect(name.data?["field"] == "name")
        #expect(name.message.contains("must be a string, got a number"))
        let count = try #require(thrownError { try fields.optionalInt("count") })
        #expect(count.data?["field"] == "count")
        #expect(count.message.contains("got a string"))
        let flag = try #require(thrownError { try fields.optionalBool("flag") })
        #expect(flag.data?["field"] == "flag")
        let state = try #require(thrownError { try fields.optional("state", as: JobState.self) })
        #expect(state.code == -32602)
        #expect(state.data?["field"] == "state")
    }

    @Test func doubleIsNotAnInteger() throws {
        let fields = try JSONFields(["count": .double(3)], allowed: Self.allowed)
        #expect(thrownError { try fields.int("count") }?.code == -32602)
    }

    @Test func nullCountsAsAbsent() throws {
        let fields = try JSONFields(["name": nil, "count": nil, "flag": nil, "state": nil], allowed: Self.allowed)
        #expect(try fields.optionalString("name") == nil)
        #expect(try fields.optionalInt("count") == nil)
        #expect(try fields.optionalBool("flag") == nil)
        #expect(try fields.optional("state", as: JobState.self) == nil)
        #expect(fields.optionalValue("name") == nil)
        let required = try #require(thrownError { try fields.string("name") })
        #expect(required.message.contains("name is required"))
        #expect(required.data?["field"] == "name")
    }

    @Test func missingRequiredFieldIsNamed() throws {
        let fields = try JSONFields([:], allowed: Self.allowed)
        for error in [
            thrownError { try fields.string("name") }, thrownError { try fields.int("count") },
            thrownError { try fields.bool("flag") }, thrownError { try fields.required("state", as: JobState.self) },
        ] {
            #expect(error?.code == -32602)
            #expect(error?.message.contains("is required") == true)
        }
    }

    @Test func replyReadingIgnoresUnknownMembersButNeedsAnObject() throws {
        let fields = try JSONFields(reply: ["known": 1, "fromANewerDaemon": true])
        #expect(try fields.int("known") == 1)
        #expect(thrownError { try JSONFields(reply: [1]) }?.code == -32602)
    }
}
