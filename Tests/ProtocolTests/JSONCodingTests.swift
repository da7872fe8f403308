import Testing
@testable import Protocol

/// Parses `text`, recording jansson's message as the failure when it is not JSON.
private func parse(_ text: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> JSONValue {
    do {
        return try JSONValue.parse(text)
    } catch {
        Issue.record("unexpected parse error: \(error)", sourceLocation: sourceLocation)
        throw error
    }
}

/// The parse error for `text`, nil when it parsed.
private func parseError(_ text: String) -> JSONParseError? {
    do {
        _ = try JSONValue.parse(text)
        return nil
    } catch {
        return error
    }
}

@Suite struct JSONCodingTests {
    // MARK: Round trips

    static let roundTripValues: [JSONValue] = [
        .null, true, false, 0, -1, .int(Int64.max), .int(Int64.min), .double(1.5), .double(-0.25), .double(1e300),
        .double(0.1), "", "plain", "héllo wörld", "日本語", "emoji 😀 and 👩‍👩‍👧", "quote \" backslash \\ slash /",
        "controls \n \r \t \u{8} \u{C} \u{1} \u{1F} \u{7F}", "line\u{2028}separator",
        [], [1, "two", nil, .double(3)], [:],
        ["a": 1, "b": ["c": [true, false, nil]], "": "empty key", "ключ": "значение"],
        ["deep": ["er": ["est": [[[["x": 1]]]]]]],
    ]

    @Test(arguments: roundTripValues)
    func valueSurvivesSerializeThenParse(_ value: JSONValue) throws {
        let text = value.serialized()
        #expect(try parse(text) == value, "round trip through \(text)")
        #expect(try parse(value.prettyPrinted()) == value)
    }

    @Test func unicodeEscapesDecodeIncludingSurrogatePairs() throws {
        #expect(try parse(#""\u00e9\u65e5\ud83d\ude00""#) == "é日😀")
    }

    @Test func everyShortEscapeDecodes() throws {
        #expect(try parse(#""\" \\ \/ \b \f \n \r \t""#) == "\" \\ / \u{8} \u{C} \n \r \t")
    }

    @Test func loneSurrogateEscapeIsRefused() {
        #expect(parseError(#""\ud83d""#) != nil)
    }

    @Test func int64ExtremesStayIntegers() throws {
        #expect(try parse("9223372036854775807") == .int(Int64.max))
        #expect(try parse("-9223372036854775808") == .int(Int64.min))
        #expect(JSONValue.int(Int64.max).serialized() == "9223372036854775807")
        #expect(JSONValue.int(Int64.min).serialized() == "-9223372036854775808")
    }

    @Test func integerBeyondInt64IsRefusedRatherThanRounded() {
        #expect(parseError("9223372036854775808") != nil)
        #expect(parseError("-9223372036854775809") != nil)
    }

    @Test func integersAndDoublesStayApart() throws {
        #expect(try parse("1") == .int(1))
        #expect(try parse("1.0") == .double(1))
        #expect(try parse("1e2") == .double(100))
        #expect(try parse(JSONValue.double(2).serialized()) == .double(2))
    }

    @Test func nonUTF8BytesAreRefused() {
        #expect(throws: JSONParseError.self) { try JSONValue.parse([0x22, 0xFF, 0xFE, 0x22] as [UInt8]) }
    }

    @Test func parsesFromANonContiguousCollection() throws {
        let bytes = #"{"a": [1, 2]}"#.utf8.lazy.map { $0 }
        #expect(try JSONValue.parse(bytes) == ["a": [1, 2]])
    }

    // MARK: Refusals

    @Test func duplicateKeysAreRefusedNotLastOneWins() {
        #expect(parseError(#"{"amount": 1, "amount": 1000000}"#) != nil)
        #expect(parseError(#"{"a": {"x": 1, "x": 2}}"#) != nil, "nested objects too")
    }

    @Test func sameKeyInSiblingObjectsIsFine() throws {
        #expect(try parse(#"[{"a": 1}, {"a": 2}]"#) == [["a": 1], ["a": 2]])
    }

    @Test func nulInAStringIsRefused() {
        #expect(parseError(#""a\u0000b""#) != nil)
        #expect(parseError(#"{"k\u0000ey": 1}"#) != nil, "in a key too")
    }

    @Test func deepNestingIsRefused() {
        let depth = 100_000
        let arrays = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        #expect(parseError(arrays) != nil)
        let objects = String(repeating: #"{"a":"#, count: depth) + "1" + String(repeating: "}", count: depth)
        #expect(parseError(objects) != nil)
    }

    @Test func moderateNestingIsAccepted() throws {
        let text = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        _ = try parse(text)
    }

    @Test func trailingGarbageAfterTheValueIsRefused() {
        #expect(parseError(#"{"a": 1} {"b": 2}"#) != nil)
        #expect(parseError("1 2") != nil)
    }

    @Test func emptyAndBlankInputAreRefused() {
        #expect(parseError("") != nil)
        #expect(parseError("   ") != nil)
    }

    @Test func scalarsAreAcceptedAtTopLevel() throws {
        #expect(try parse("null") == .null)
        #expect(try parse(#""text""#) == "text")
        #expect(try parse("  42  ") == 42)
    }

    @Test func parseErrorReportsLineAndColumn() throws {
        let error = try #require(parseError("{\n  \"a\": 1,\n  \"b\": tru\n}"))
        #expect(error.line == 3)
        #expect(error.column > 0)
        #expect(error.description.contains("line 3, column \(error.column)"))
        #expect(!error.message.isEmpty)
    }

    @Test func parseErrorOnFirstLinePointsNearTheFault() throws {
        let error = try #require(parseError("[1, 2,, 3]"))
        #expect(error.line == 1)
        #expect((6...7).contains(error.column), "column \(error.column) should point at the second comma")
    }

    // MARK: Serialization

    @Test func serializedIsOneCompactLineWithSortedKeys() {
        let value: JSONValue = [
            "zeta": 1, "alpha": ["multi\nline": "text\nwith\r\nbreaks"], "mid": [1, 2], "Beta": nil,
        ]
        let text = value.serialized()
        #expect(text == #"{"Beta":null,"alpha":{"multi\nline":"text\nwith\r\nbreaks"},"mid":[1,2],"zeta":1}"#)
        #expect(!text.contains("\n") && !text.contains("\r"))
    }

    @Test func serializationIsDeterministicWhateverTheInsertionOrder() {
        var a: [String: JSONValue] = [:]
        var b: [String: JSONValue] = [:]
        let keys = (0..<50).map { "key\($0)" }
        for key in keys { a[key] = .string(key) }
        for key in keys.reversed() { b[key] = .string(key) }
        #expect(JSONValue.object(a).serialized() == JSONValue.object(b).serialized())
    }

    @Test func nonASCIIIsWrittenAsUTF8NotEscaped() {
        #expect(JSONValue.string("é😀").serialized() == "\"é😀\"")
    }

    @Test func nonFiniteDoublesBecomeNull() {
        #expect(JSONValue.double(.nan).serialized() == "null")
        #expect(JSONValue.double(.infinity).serialized() == "null")
    }

    @Test func prettyPrintedIsIndentedAndSorted() {
        let value: JSONValue = ["b": 1, "a": [true]]
        #expect(value.prettyPrinted() == "{\n  \"a\": [\n    true\n  ],\n  \"b\": 1\n}")
    }

    // MARK: Accessors

    @Test func accessorsReturnNilForOtherTypes() {
        let value: JSONValue = ["s": "x", "i": 1, "b": true, "a": [], "o": [:]]
        #expect(value["s"]?.stringValue == "x")
        #expect(value["s"]?.intValue == nil)
        #expect(value["i"]?.intValue == 1)
        #expect(value["i"]?.stringValue == nil)
        #expect(value["b"]?.boolValue == true)
        #expect(value["a"]?.arrayValue == [])
        #expect(value["o"]?.objectValue == [:])
        #expect(value["missing"] == nil)
        #expect(JSONValue.array([1])["s"] == nil)
        #expect(JSONValue.null.isNull)
        #expect(!JSONValue.int(0).isNull)
    }

    @Test func typeNamesReadAsEnglish() {
        #expect(JSONValue.null.typeName == "null")
        #expect(JSONValue.bool(true).typeName == "a boolean")
        #expect(JSONValue.int(1).typeName == "a number")
        #expect(JSONValue.double(1).typeName == "a number")
        #expect(JSONValue.string("").typeName == "a string")
        #expect(JSONValue.array([]).typeName == "an array")
        #expect(JSONValue.object([:]).typeName == "an object")
    }

    @Test func objectDroppingLeavesOutNilMembers() {
        #expect(JSONValue.object(dropping: ["a": 1, "b": nil]) == ["a": 1])
    }
}
