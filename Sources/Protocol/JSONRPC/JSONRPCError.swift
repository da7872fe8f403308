/// An error object as JSON-RPC 2.0 defines it. Application errors carry a stable,
/// machine-readable `data.reason` word next to the human message.
public struct JSONRPCError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    /// The `data.reason` word, when the server sent one.
    public var reason: String? { data?["reason"]?.stringValue }

    public var description: String {
        if let reason { return "\(message) (\(reason))" }
        return message
    }

    public var json: JSONValue {
        var object: [String: JSONValue] = ["code": .int(Int64(code)), "message": .string(message)]
        if let data { object["data"] = data }
        return .object(object)
    }

    public init?(json: JSONValue) {
        guard let code = json["code"]?.intValue, let message = json["message"]?.stringValue else { return nil }
        self.init(code: Int(code), message: message, data: json["data"])
    }
}

// The standard codes.
extension JSONRPCError {
    public static let parseErrorCode = -32700
    public static let invalidRequestCode = -32600
    public static let methodNotFoundCode = -32601
    public static let invalidParamsCode = -32602
    public static let internalErrorCode = -32603

    public static func parseError(_ detail: String) -> JSONRPCError {
        JSONRPCError(code: parseErrorCode, message: "Parse error: \(detail)", data: ["reason": "parse_error"])
    }

    public static func lineTooLong(limit: Int) -> JSONRPCError {
        JSONRPCError(
            code: parseErrorCode, message: "Parse error: line longer than \(limit) bytes; closing the connection",
            data: ["reason": "line_too_long", "limit": .int(Int64(limit))])
    }

    public static func invalidRequest(_ detail: String) -> JSONRPCError {
        JSONRPCError(code: invalidRequestCode, message: "Invalid Request: \(detail)", data: ["reason": "invalid_request"])
    }

    public static func methodNotFound(_ method: String) -> JSONRPCError {
        JSONRPCError(
            code: methodNotFoundCode, message: "Method not found: \(method.prefix(100))",
            data: ["reason": "method_not_found"])
    }

    public static func invalidParams(_ detail: String, field: String? = nil) -> JSONRPCError {
        var data: [String: JSONValue] = ["reason": "invalid_params"]
        if let field { data["field"] = .string(field) }
        return JSONRPCError(code: invalidParamsCode, message: "Invalid params: \(detail)", data: .object(data))
    }

    public static func internalError(_ detail: String = "internal error") -> JSONRPCError {
        JSONRPCError(code: internalErrorCode, message: "Internal error: \(detail)", data: ["reason": "internal"])
    }

    /// An application error in -32000…-32099 with its reason word and any extra data fields.
    public static func application(
        _ reason: ApplicationErrorReason, _ message: String, extra: [String: JSONValue] = [:]
    ) -> JSONRPCError {
        var data = extra
        data["reason"] = .string(reason.rawValue)
        return JSONRPCError(code: reason.code, message: message, data: .object(data))
    }
}
