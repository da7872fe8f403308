/// What a client reads from the server: a response to one of its requests, a
/// batch of them, or a notification such as `bootstrap.changed`.
public enum ServerMessage: Sendable, Equatable {
    case response(JSONRPCResponse)
    case batch([JSONRPCResponse])
    case notification(method: String, params: JSONValue?)

    public init(line: some Collection<UInt8>) throws(JSONRPCError) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(line)
        } catch {
            throw .parseError("server sent \(error.description)")
        }
        if case .array(let elements) = value {
            var responses: [JSONRPCResponse] = []
            for element in elements { responses.append(try Self.response(element)) }
            self = .batch(responses)
        } else if value["id"] == nil, let method = value["method"]?.stringValue {
            self = .notification(method: method, params: value["params"])
        } else {
            self = .response(try Self.response(value))
        }
    }

    private static func response(_ value: JSONValue) throws(JSONRPCError) -> JSONRPCResponse {
        guard value["jsonrpc"] == "2.0", let rawID = value["id"], let id = JSONRPCID(rawID) else {
            throw .invalidRequest("server sent a malformed response")
        }
        if let result = value["result"] {
            return JSONRPCResponse(id: id, outcome: .success(result))
        }
        if let errorValue = value["error"], let error = JSONRPCError(json: errorValue) {
            return JSONRPCResponse(id: id, outcome: .failure(error))
        }
        throw .invalidRequest("server sent a response with neither result nor error")
    }
}
