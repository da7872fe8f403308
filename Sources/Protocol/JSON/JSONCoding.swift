import CJansson
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why a text is not valid JSON, with the position jansson reports.
public struct JSONParseError: Error, Sendable, CustomStringConvertible {
    public let message: String
    public let line: Int
    public let column: Int

    public var description: String { "invalid JSON at line \(line), column \(column): \(message)" }
}

extension JSONValue {
    /// Parses one JSON text. Duplicate object keys are refused rather than letting
    /// the last one silently win, and so is a NUL character inside a string.
    public static func parse(_ bytes: some Collection<UInt8>) throws(JSONParseError) -> JSONValue {
        var error = json_error_t()
        let flags = Int(JSON_REJECT_DUPLICATES | JSON_DECODE_ANY)
        let root: UnsafeMutablePointer<json_t>? = bytes.withContiguousStorageIfAvailable { buffer in
            buffer.withMemoryRebound(to: CChar.self) { json_loadb($0.baseAddress, $0.count, flags, &error) }
        } ?? Array(bytes).withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { json_loadb($0.baseAddress, $0.count, flags, &error) }
        }
        guard let root else {
            let text = withUnsafeBytes(of: &error.text) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            throw JSONParseError(message: text, line: Int(error.line), column: Int(error.column))
        }
        defer { json_decref(root) }
        return JSONValue(jansson: root)
    }

    public static func parse(_ text: String) throws(JSONParseError) -> JSONValue {
        try parse(Array(text.utf8))
    }

    /// Compact JSON with sorted keys and no newline, so a value always fits on one wire line.
    public func serialized() -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        write(into: &bytes)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The same text from jansson's own dump: the reference `write(into:)` is tested against.
    func janssonSerialized() -> String {
        let node = makeJansson()
        defer { json_decref(node) }
        guard let text = json_dumps(node, cjansson_compact_flags()) else { return "null" }
        defer { free(text) }
        return String(cString: text)
    }

    /// Indented JSON for people reading a terminal.
    public func prettyPrinted() -> String {
        let node = makeJansson()
        defer { json_decref(node) }
        guard let text = json_dumps(node, cjansson_pretty_flags()) else { return "null" }
        defer { free(text) }
        return String(cString: text)
    }

    private init(jansson node: UnsafeMutablePointer<json_t>) {
        switch cjansson_typeof(node) {
        case JSON_OBJECT:
            var members: [String: JSONValue] = [:]
            members.reserveCapacity(json_object_size(node))
            var iterator = json_object_iter(node)
            while let current = iterator {
                let key = String(cString: json_object_iter_key(current))
                if let value = json_object_iter_value(current) {
                    members[key] = JSONValue(jansson: value)
                }
                iterator = json_object_iter_next(node, current)
            }
            self = .object(members)
        case JSON_ARRAY:
            let count = json_array_size(node)
            var elements: [JSONValue] = []
            elements.reserveCapacity(count)
            for index in 0..<count {
                if let element = json_array_get(node, index) { elements.append(JSONValue(jansson: element)) }
            }
            self = .array(elements)
        case JSON_STRING:
            let length = json_string_length(node)
            let pointer = json_string_value(node)!
            self = pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
                .string(String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self))
            }
        case JSON_INTEGER:
            self = .int(Int64(json_integer_value(node)))
        case JSON_REAL:
            self = .double(json_real_value(node))
        case JSON_TRUE:
            self = .bool(true)
        case JSON_FALSE:
            self = .bool(false)
        default:
            self = .null
        }
    }

    /// A new jansson reference the caller must release with `json_decref`.
    private func makeJansson() -> UnsafeMutablePointer<json_t> {
        switch self {
        case .null:
            return json_null()
        case .bool(let value):
            return cjansson_boolean(value ? 1 : 0)
        case .int(let value):
            return json_integer(json_int_t(value))
        case .double(let value):
            // jansson refuses NaN and infinities; JSON has no spelling for them either.
            return json_real(value) ?? json_null()
        case .string(let value):
            // Invalid UTF-8 cannot occur in a Swift String, so jansson only fails on allocation.
            return value.withCString { json_stringn($0, value.utf8.count) } ?? json_null()
        case .array(let elements):
            let array = json_array()!
            for element in elements { json_array_append_new(array, element.makeJansson()) }
            return array
        case .object(let members):
            let object = json_object()!
            for (key, value) in members {
                _ = key.withCString { json_object_setn_new(object, $0, key.utf8.count, value.makeJansson()) }
            }
            return object
        }
    }
}
