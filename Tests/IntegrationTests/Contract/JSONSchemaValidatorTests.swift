import Protocol
import Testing

/// The test suite's JSON Schema validator, on its own: each keyword must accept what
/// fits and refuse what does not, or the reply checks built on it prove nothing.
@Suite struct JSONSchemaValidatorTests {
    let document: JSONValue = [
        "components": [
            "schemas": [
                "Invoice": [
                    "type": "object", "required": ["paymentRequest", "amountSats"], "additionalProperties": false,
                    "properties": [
                        "paymentRequest": ["type": "string", "pattern": "^ln", "minLength": 4, "maxLength": 12],
                        "amountSats": ["type": "integer", "minimum": 1, "maximum": 1000],
                    ],
                ],
                "Job": [
                    "type": "object", "required": ["state"],
                    "properties": [
                        "state": ["enum": ["awaiting_payment", "ready"]],
                        "invoice": ["$ref": "#/components/schemas/Invoice"],
                        "error": ["type": ["string", "null"]],
                        "tags": ["type": "array", "items": ["type": "string"], "maxItems": 2],
                    ],
                    "additionalProperties": ["type": "boolean"],
                ],
                "Loop": ["$ref": "#/components/schemas/Loop"],
                "a/b": ["const": 7],
            ]
        ]
    ]

    func violations(_ value: JSONValue, _ schema: JSONValue) -> [SchemaViolation] {
        JSONSchemaValidator(root: document).validate(value, against: schema)
    }

    let job: JSONValue = ["$ref": "#/components/schemas/Job"]

    @Test func aValueThatFitsHasNoViolations() {
        let value: JSONValue = [
            "state": "ready", "invoice": ["paymentRequest": "lnbc10", "amountSats": 10], "error": nil,
            "tags": ["a"], "extra": true,
        ]
        #expect(violations(value, job) == [])
    }

    @Test func typeMismatchNamesThePointerTheTypeAndWhatCame() {
        let found = violations(["state": "ready", "error": 5], job)
        #expect(found == [SchemaViolation(pointer: "/error", expected: "one of types string, null", got: "5")])
    }

    @Test func integerRefusesFractionsButAcceptsWholeDoubles() {
        #expect(violations(.double(2.5), ["type": "integer"]).count == 1)
        #expect(violations(.double(2.0), ["type": "integer"]) == [])
        #expect(violations(.int(2), ["type": "number"]) == [])
        #expect(violations("2", ["type": "number"]).count == 1)
        #expect(violations(nil, ["type": "object"]).count == 1)
    }

    @Test func requiredAndAdditionalPropertiesAreEnforcedThroughRef() {
        let found = violations(["state": "ready", "invoice": ["amountSats": 5, "memo": "x"], "extra": "no"], job)
        #expect(found.map(\.pointer).sorted() == ["/extra", "/invoice", "/invoice/memo"])
        #expect(found.contains { $0.expected == "required member \"paymentRequest\"" })
    }

    @Test func enumConstAndBounds() {
        #expect(violations(["state": "gone"], job).map(\.pointer) == ["/state"])
        #expect(violations(8, ["$ref": "#/components/schemas/a~1b"]).count == 1)
        #expect(violations(7, ["$ref": "#/components/schemas/a~1b"]) == [])
        #expect(violations(.double(1.0), ["enum": [1]]) == [])
        let invoice: JSONValue = ["$ref": "#/components/schemas/Invoice"]
        #expect(violations(["paymentRequest": "lnbc", "amountSats": 0], invoice).map(\.pointer) == ["/amountSats"])
        #expect(violations(["paymentRequest": "lnbc", "amountSats": 1001], invoice).map(\.pointer) == ["/amountSats"])
        #expect(violations(["paymentRequest": "xxbc10", "amountSats": 1], invoice).map(\.expected) == ["a string matching ^ln"])
        #expect(violations(["paymentRequest": "ln", "amountSats": 1], invoice).map(\.expected) == ["at least 4 characters"])
        #expect(violations(["paymentRequest": "lnbc100000000", "amountSats": 1], invoice).count == 1)
        #expect(violations(-1, ["exclusiveMinimum": -1]).count == 1)
    }

    @Test func lengthsCountCodePointsNotBytes() {
        #expect(violations("ééé", ["maxLength": 3]) == [])
        #expect(violations("éééé", ["maxLength": 3]).count == 1)
    }

    @Test func itemsAreCheckedEachWithItsIndex() {
        let found = violations(["state": "ready", "tags": ["a", 2, "c"]], job)
        #expect(found.map(\.pointer).sorted() == ["/tags", "/tags/1"])
    }

    @Test func combinators() {
        let either: JSONValue = ["oneOf": [["type": "string"], ["type": "integer"]]]
        #expect(violations("a", either) == [])
        #expect(violations(true, either).count == 1)
        let overlapping: JSONValue = ["oneOf": [["type": "integer"], ["type": "number"]]]
        #expect(violations(3, overlapping).first?.expected == "exactly one of 2 schemas, but 2 match")
        #expect(violations(3, ["anyOf": [["type": "integer"], ["type": "number"]]]) == [])
        #expect(violations("3", ["anyOf": [["type": "integer"], ["type": "number"]]]).count == 1)
        #expect(violations(3, ["allOf": [["type": "integer"], ["maximum": 2]]]).map(\.expected) == ["a number <= 2"])
    }

    @Test func booleanSchemasUnknownKeywordsAndBrokenRefs() {
        #expect(violations(["anything": 1], true) == [])
        #expect(violations(1, false).count == 1)
        #expect(violations("x", ["format": "date-time", "x-role": "admin", "description": "ignored"]) == [])
        #expect(violations(1, ["$ref": "#/components/schemas/Missing"]).first?.expected.contains("resolvable") == true)
        #expect(violations(1, ["$ref": "#/components/schemas/Loop"]).first?.expected.contains("cycle") == true)
    }

    @Test func violationsNeverPrintASecret() {
        let token = "tat_" + String(repeating: "s", count: 20)
        let found = violations(["accessToken": .string(token)], ["properties": ["accessToken": ["type": "integer"]]])
        #expect(found.count == 1)
        #expect(!found[0].description.contains(token))
        let long = String(repeating: "k", count: 80)
        #expect(!violations(.string(long), ["type": "integer"])[0].description.contains(long))
    }
}
