/// What one line from a caller holds, classified exactly as JSON-RPC 2.0 says.
public enum IncomingMessage: Sendable, Equatable {
    /// One request object (or one invalid object, answered with its error).
    case single(IncomingEntry)
    /// A non-empty batch; each entry is answered on its own, notifications not at all.
    case batch([IncomingEntry])
    /// Not JSON, or an empty batch: one error reply with a null id.
    case unusable(JSONRPCError)

    public init(line: some Collection<UInt8>) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(line)
        } catch {
            self = .unusable(.parseError(error.description))
            return
        }
        switch value {
        case .array(let elements):
            if elements.isEmpty {
                self = .unusable(.invalidRequest("empty batch"))
            } else {
                self = .batch(elements.map(IncomingEntry.init(value:)))
            }
        default:
            self = .single(IncomingEntry(value: value))
        }
    }
}

/// One element of a message: a well-formed request, or an invalid one with the
/// id to answer it with (null when no valid id could be read).
public enum IncomingEntry: Sendable, Equatable {
    case request(JSONRPCRequest)
    case invalid(JSONRPCError, id: JSONRPCID)

    public init(value: JSONValue) {
        guard case .object(let members) = value else {
            self = .invalid(.invalidRequest("a request must be an object, got \(value.typeName)"), id: .null)
            return
        }
        var id: JSONRPCID? = nil
        if let rawID = members["id"] {
            guard let parsed = JSONRPCID(rawID) else {
                self = .invalid(.invalidRequest("id must be a string, an integer or null"), id: .null)
                return
            }
            id = parsed
        }
        let replyID = id ?? .null
        guard members["jsonrpc"] == "2.0" else {
            self = .invalid(.invalidRequest("jsonrpc must be exactly \"2.0\""), id: replyID)
            return
        }
        guard let method = members["method"]?.stringValue else {
            self = .invalid(.invalidRequest("method must be a string"), id: replyID)
            return
        }
        let params = members["params"]
        switch params {
        case nil, .object?, .array?: break
        default:
            self = .invalid(.invalidRequest("params must be an object or an array"), id: replyID)
            return
        }
        let unknown = members.keys.filter { !["jsonrpc", "method", "params", "id"].contains($0) }
        if let first = unknown.sorted().first {
            self = .invalid(.invalidRequest("unknown member \"\(first.prefix(64))\""), id: replyID)
            return
        }
        self = .request(JSONRPCRequest(method: method, params: params, id: id))
    }
}
