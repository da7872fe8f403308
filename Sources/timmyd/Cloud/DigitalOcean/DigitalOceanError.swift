/// What went wrong talking to DigitalOcean. Descriptions carry DigitalOcean's own
/// `{id, message}` (and `request_id` for support tickets), never the token.
enum DigitalOceanError: Error, Equatable, CustomStringConvertible {
    /// A non-2xx answer: HTTP status and the error body's `id` and `message`.
    case api(status: Int, id: String, message: String, requestID: String?)
    /// A 2xx whose body is not what the API documents.
    case malformedReply(String)
    /// No answer within the call's timeout.
    case timeout
    /// No HTTP answer at all: refused connection, DNS, TLS, a dropped reply.
    case transport(String)

    var description: String {
        switch self {
        case .api(let status, let id, let message, let requestID):
            "DigitalOcean answered \(status) \(id): \(message)" + (requestID.map { " (request \($0))" } ?? "")
        case .malformedReply(let why): "DigitalOcean answered something unexpected: \(why)"
        case .timeout: "DigitalOcean did not answer in time"
        case .transport(let message): "DigitalOcean unreachable: \(message)"
        }
    }

    var status: Int? {
        if case .api(let status, _, _, _) = self { return status }
        return nil
    }

    var isNotFound: Bool { status == 404 }

    /// After a create failed this way, the resource may or may not exist: look it up
    /// before creating again.
    var outcomeUnknown: Bool {
        switch self {
        case .timeout, .transport: true
        case .api(let status, _, _, _): status >= 500 || status == 429
        case .malformedReply: true
        }
    }
}
