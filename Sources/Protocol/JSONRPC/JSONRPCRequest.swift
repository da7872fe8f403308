/// One request or notification. A notification has no id and gets no reply.
public struct JSONRPCRequest: Sendable, Equatable {
    public var method: String
    /// An object or an array, as the specification allows; timmyd's methods take objects.
    public var params: JSONValue?
    /// nil for a notification; `.null` is a (discouraged) request with a null id.
    public var id: JSONRPCID?

    public init(method: String, params: JSONValue? = nil, id: JSONRPCID?) {
        self.method = method
        self.params = params
        self.id = id
    }

    public var isNotification: Bool { id == nil }

    public var json: JSONValue {
        var object: [String: JSONValue] = ["jsonrpc": "2.0", "method": .string(method)]
        if let params { object["params"] = params }
        if let id { object["id"] = id.json }
        return .object(object)
    }
}

/// A response: the result or the error for one request id.
public struct JSONRPCResponse: Sendable, Equatable {
    public var id: JSONRPCID
    public var outcome: Result<JSONValue, JSONRPCError>

    public init(id: JSONRPCID, outcome: Result<JSONValue, JSONRPCError>) {
        self.id = id
        self.outcome = outcome
    }

    public var json: JSONValue {
        switch outcome {
        case .success(let result): ["jsonrpc": "2.0", "id": id.json, "result": result]
        case .failure(let error): ["jsonrpc": "2.0", "id": id.json, "error": error.json]
        }
    }
}
