/// Reads the named members of a JSON object with errors that say which field is
/// wrong and why. Unknown members are refused, so a misspelt option never passes
/// silently. `null` counts as absent for optional members.
public struct JSONFields: Sendable {
    public let members: [String: JSONValue]

    /// - Parameter allowed: every member name the object may carry.
    public init(_ value: JSONValue?, allowed: Set<String>) throws(JSONRPCError) {
        switch value {
        case nil, .null?:
            members = [:]
        case .object(let object)?:
            members = object
        case .array?:
            throw .invalidParams("params must be given by name (an object), not by position")
        case let other?:
            throw .invalidParams("params must be an object, got \(other.typeName)")
        }
        if let unknown = members.keys.filter({ !allowed.contains($0) }).sorted().first {
            let known = allowed.sorted().joined(separator: ", ")
            throw .invalidParams(
                "unknown field \"\(unknown.prefix(64))\" (known: \(known.isEmpty ? "none" : known))",
                field: String(unknown.prefix(64)))
        }
    }

    /// Reads a reply from the server: members this client does not know are
    /// ignored, so a newer daemon can add fields without breaking older clients.
    public init(reply value: JSONValue) throws(JSONRPCError) {
        guard case .object(let object) = value else {
            throw .invalidParams("expected an object in the reply, got \(value.typeName)")
        }
        members = object
    }

    public func string(_ key: String) throws(JSONRPCError) -> String {
        guard let value = try optionalString(key) else { throw .invalidParams("\(key) is required", field: key) }
        return value
    }

    public func optionalString(_ key: String) throws(JSONRPCError) -> String? {
        switch members[key] {
        case nil, .null?: return nil
        case .string(let text)?: return text
        case let other?: throw .invalidParams("\(key) must be a string, got \(other.typeName)", field: key)
        }
    }

    public func int(_ key: String) throws(JSONRPCError) -> Int64 {
        guard let value = try optionalInt(key) else { throw .invalidParams("\(key) is required", field: key) }
        return value
    }

    public func optionalInt(_ key: String) throws(JSONRPCError) -> Int64? {
        switch members[key] {
        case nil, .null?: return nil
        case .int(let number)?: return number
        case let other?: throw .invalidParams("\(key) must be an integer, got \(other.typeName)", field: key)
        }
    }

    public func bool(_ key: String) throws(JSONRPCError) -> Bool {
        guard let value = try optionalBool(key) else { throw .invalidParams("\(key) is required", field: key) }
        return value
    }

    public func optionalBool(_ key: String) throws(JSONRPCError) -> Bool? {
        switch members[key] {
        case nil, .null?: return nil
        case .bool(let flag)?: return flag
        case let other?: throw .invalidParams("\(key) must be true or false, got \(other.typeName)", field: key)
        }
    }

    public func optionalValue(_ key: String) -> JSONValue? {
        switch members[key] {
        case nil, .null?: nil
        case let value?: value
        }
    }

    public func optional<T: JSONConvertible>(_ key: String, as type: T.Type) throws(JSONRPCError) -> T? {
        guard let value = optionalValue(key) else { return nil }
        return try T(json: value)
    }

    /// The elements of an array member; none when it is absent, null or not an array.
    public func array<T: JSONConvertible>(_ key: String, of type: T.Type) throws(JSONRPCError) -> [T] {
        var elements: [T] = []
        for value in optionalValue(key)?.arrayValue ?? [] { elements.append(try T(json: value)) }
        return elements
    }

    public func required<T: JSONConvertible>(_ key: String, as type: T.Type) throws(JSONRPCError) -> T {
        guard let value = optionalValue(key) else { throw .invalidParams("\(key) is required", field: key) }
        return try T(json: value)
    }
}

/// A value with a fixed JSON shape on timmyd's wire.
public protocol JSONConvertible: Sendable {
    init(json: JSONValue) throws(JSONRPCError)
    var json: JSONValue { get }
}

extension JSONValue {
    /// An object from optional members, leaving out the ones that are nil.
    public static func object(dropping members: [String: JSONValue?]) -> JSONValue {
        .object(members.compactMapValues { $0 })
    }
}
