import Foundation
import Protocol

/// One way a value breaks its schema: where (a JSON pointer into the value), what the
/// schema asked for, and what was there.
struct SchemaViolation: Equatable, CustomStringConvertible {
    let pointer: String
    let expected: String
    let got: String

    var description: String { "at \(pointer.isEmpty ? "/" : pointer): expected \(expected), got \(got)" }
}

/// A JSON Schema (draft 2020-12) validator for the subset OpenRPC and OpenAPI documents
/// use: type (one or a list, with null), properties, required, additionalProperties
/// (a boolean or a schema), items, enum, const, oneOf/anyOf/allOf, $ref into the same
/// document, minimum/maximum, minLength/maxLength, minItems/maxItems, pattern, and the
/// boolean schemas. Keywords it does not know (format, description, x-…) are ignored,
/// as the specification says an annotation is.
struct JSONSchemaValidator {
    /// The whole document a `$ref` such as `#/components/schemas/JobStatus` points into.
    let root: JSONValue

    /// `$ref` chains deeper than this are a cycle in the document, not a schema.
    private static let maximumDepth = 64

    func validate(_ value: JSONValue, against schema: JSONValue) -> [SchemaViolation] {
        var violations: [SchemaViolation] = []
        check(value, schema, pointer: "", depth: 0, into: &violations)
        return violations
    }

    private func check(_ value: JSONValue, _ schema: JSONValue, pointer: String, depth: Int, into violations: inout [SchemaViolation]) {
        func fail(_ expected: String) {
            violations.append(SchemaViolation(pointer: pointer, expected: expected, got: Self.describe(value, name: Self.lastName(pointer))))
        }
        switch schema {
        case .bool(true): return
        case .bool(false): return fail("nothing (the schema is false)")
        case .object: break
        default: return fail("a valid schema (the document's schema is \(schema.typeName))")
        }
        guard depth < Self.maximumDepth else { return fail("a schema without a $ref cycle") }

        if let reference = schema["$ref"]?.stringValue {
            guard let target = resolve(reference) else { return fail("a resolvable $ref \(reference)") }
            check(value, target, pointer: pointer, depth: depth + 1, into: &violations)
        }
        if let types = schema["type"] {
            let names = types.arrayValue?.compactMap(\.stringValue) ?? [types.stringValue].compactMap { $0 }
            if !names.contains(where: { Self.matches(value, type: $0) }) {
                return fail(names.count == 1 ? "type \(names[0])" : "one of types \(names.joined(separator: ", "))")
            }
        }
        if let allowed = schema["enum"]?.arrayValue, !allowed.contains(where: { Self.equal($0, value) }) {
            fail("one of \(allowed.map { $0.serialized() }.joined(separator: ", "))")
        }
        if let constant = schema["const"], !Self.equal(constant, value) {
            fail("the constant \(constant.serialized())")
        }
        checkNumber(value, schema, fail: fail)
        checkString(value, schema, fail: fail)
        checkArray(value, schema, pointer: pointer, depth: depth, into: &violations)
        checkObject(value, schema, pointer: pointer, depth: depth, into: &violations)
        checkCombinations(value, schema, pointer: pointer, depth: depth, into: &violations)
    }

    private func checkNumber(_ value: JSONValue, _ schema: JSONValue, fail: (String) -> Void) {
        guard let number = Self.number(value) else { return }
        if let minimum = schema["minimum"].flatMap(Self.number), number < minimum { fail("a number >= \(Self.text(minimum))") }
        if let maximum = schema["maximum"].flatMap(Self.number), number > maximum { fail("a number <= \(Self.text(maximum))") }
        if let bound = schema["exclusiveMinimum"].flatMap(Self.number), number <= bound { fail("a number > \(Self.text(bound))") }
        if let bound = schema["exclusiveMaximum"].flatMap(Self.number), number >= bound { fail("a number < \(Self.text(bound))") }
    }

    private func checkString(_ value: JSONValue, _ schema: JSONValue, fail: (String) -> Void) {
        guard case .string(let text) = value else { return }
        // JSON Schema counts characters as Unicode code points.
        let length = text.unicodeScalars.count
        if let minimum = schema["minLength"]?.intValue, length < minimum { fail("at least \(minimum) characters") }
        if let maximum = schema["maxLength"]?.intValue, length > maximum { fail("at most \(maximum) characters") }
        if let pattern = schema["pattern"]?.stringValue {
            // ECMA-262 patterns are not anchored: a match anywhere in the string counts.
            guard let expression = try? NSRegularExpression(pattern: pattern) else { return fail("a valid pattern \(pattern)") }
            let whole = NSRange(text.startIndex..., in: text)
            if expression.firstMatch(in: text, range: whole) == nil { fail("a string matching \(pattern)") }
        }
    }

    private func checkArray(_ value: JSONValue, _ schema: JSONValue, pointer: String, depth: Int, into violations: inout [SchemaViolation]) {
        guard case .array(let elements) = value else { return }
        if let minimum = schema["minItems"]?.intValue, elements.count < minimum {
            violations.append(SchemaViolation(pointer: pointer, expected: "at least \(minimum) items", got: Self.describe(value)))
        }
        if let maximum = schema["maxItems"]?.intValue, elements.count > maximum {
            violations.append(SchemaViolation(pointer: pointer, expected: "at most \(maximum) items", got: Self.describe(value)))
        }
        if let items = schema["items"] {
            for (index, element) in elements.enumerated() {
                check(element, items, pointer: pointer + "/\(index)", depth: depth + 1, into: &violations)
            }
        }
    }

    private func checkObject(_ value: JSONValue, _ schema: JSONValue, pointer: String, depth: Int, into violations: inout [SchemaViolation]) {
        guard case .object(let members) = value else { return }
        for name in schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [] where members[name] == nil {
            violations.append(
                SchemaViolation(pointer: pointer, expected: "required member \"\(name)\"", got: "an object without it"))
        }
        let properties = schema["properties"]?.objectValue ?? [:]
        for (name, member) in members.sorted(by: { $0.key < $1.key }) {
            let memberPointer = pointer + "/" + Self.escape(name)
            if let property = properties[name] {
                check(member, property, pointer: memberPointer, depth: depth + 1, into: &violations)
            } else if let additional = schema["additionalProperties"] {
                if additional == .bool(false) {
                    violations.append(
                        SchemaViolation(pointer: memberPointer, expected: "no member \"\(name)\" (not in the schema)", got: Self.describe(member, name: name)))
                } else {
                    check(member, additional, pointer: memberPointer, depth: depth + 1, into: &violations)
                }
            }
        }
    }

    private func checkCombinations(
        _ value: JSONValue, _ schema: JSONValue, pointer: String, depth: Int, into violations: inout [SchemaViolation]
    ) {
        for part in schema["allOf"]?.arrayValue ?? [] {
            check(value, part, pointer: pointer, depth: depth + 1, into: &violations)
        }
        if let choices = schema["anyOf"]?.arrayValue {
            let outcomes = choices.map { validateNested(value, $0, pointer: pointer, depth: depth) }
            if !outcomes.contains(where: \.isEmpty) {
                violations.append(
                    SchemaViolation(pointer: pointer, expected: "any of \(choices.count) schemas (\(Self.summary(outcomes)))", got: Self.describe(value)))
            }
        }
        if let choices = schema["oneOf"]?.arrayValue {
            let outcomes = choices.map { validateNested(value, $0, pointer: pointer, depth: depth) }
            let passing = outcomes.filter(\.isEmpty).count
            if passing != 1 {
                let expected = passing == 0
                    ? "exactly one of \(choices.count) schemas (\(Self.summary(outcomes)))"
                    : "exactly one of \(choices.count) schemas, but \(passing) match"
                violations.append(SchemaViolation(pointer: pointer, expected: expected, got: Self.describe(value)))
            }
        }
    }

    private func validateNested(_ value: JSONValue, _ schema: JSONValue, pointer: String, depth: Int) -> [SchemaViolation] {
        var nested: [SchemaViolation] = []
        check(value, schema, pointer: pointer, depth: depth + 1, into: &nested)
        return nested
    }

    /// A `#/…` JSON pointer into the root document (`~1` is `/`, `~0` is `~`).
    func resolve(_ reference: String) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        var node = root
        for token in reference.dropFirst().split(separator: "/", omittingEmptySubsequences: true) {
            let name = token.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch node {
            case .object(let members): guard let next = members[name] else { return nil }; node = next
            case .array(let elements): guard let index = Int(name), elements.indices.contains(index) else { return nil }; node = elements[index]
            default: return nil
            }
        }
        return node
    }

    // MARK: Values

    static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("null", .null), ("boolean", .bool), ("string", .string), ("array", .array), ("object", .object): true
        case ("number", .int), ("number", .double), ("integer", .int): true
        // 2.0 is an integer to JSON Schema: only the value counts, not how it was written.
        case ("integer", .double(let number)): number.rounded() == number
        default: false
        }
    }

    /// Equality as JSON Schema defines it: 1 and 1.0 are the same number.
    static func equal(_ left: JSONValue, _ right: JSONValue) -> Bool {
        if let a = number(left), let b = number(right) { return a == b }
        switch (left, right) {
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy { equal($0, $1) }
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.allSatisfy { key, member in b[key].map { equal(member, $0) } ?? false }
        default: return left == right
        }
    }

    static func number(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .double(let number): number
        default: nil
        }
    }

    private static func text(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }

    /// The member name a pointer ends with.
    static func lastName(_ pointer: String) -> String? {
        pointer.split(separator: "/").last.map { $0.replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~") }
    }

    static func escape(_ name: String) -> String {
        name.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
    }

    /// What was there, never the text of a long string or of a member whose name says
    /// secret: a failing check must not print a token or a private key into the test log.
    static func describe(_ value: JSONValue, name: String? = nil) -> String {
        switch value {
        case .null, .bool, .int, .double: return value.serialized()
        case .string(let text):
            let secret = name.map { name in
                ["token", "key", "secret", "preimage", "password", "seed"].contains { name.lowercased().contains($0) }
            } ?? false
            return secret || text.unicodeScalars.count > 40
                ? "a string of \(text.unicodeScalars.count) characters" : value.serialized()
        case .array(let elements): return "an array of \(elements.count) items"
        case .object(let members): return "an object with members [\(members.keys.sorted().joined(separator: ", "))]"
        }
    }

    private static func summary(_ outcomes: [[SchemaViolation]]) -> String {
        outcomes.enumerated().map { index, violations in "#\(index): \(violations.first?.description ?? "ok")" }
            .joined(separator: "; ")
    }
}
