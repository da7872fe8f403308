/// A request id: JSON-RPC 2.0 allows a string, a number or null.
public enum JSONRPCID: Sendable, Hashable, CustomStringConvertible {
    case string(String)
    case number(Int64)
    case null

    /// The id of a request object, or nil when `value` is no valid id.
    init?(_ value: JSONValue) {
        switch value {
        case .string(let text): self = .string(text)
        case .int(let number): self = .number(number)
        case .null: self = .null
        default: return nil
        }
    }

    public var json: JSONValue {
        switch self {
        case .string(let text): .string(text)
        case .number(let number): .int(number)
        case .null: .null
        }
    }

    public var description: String { json.serialized() }
}
