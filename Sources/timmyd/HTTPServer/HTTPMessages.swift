import NIOHTTP1
import Protocol

/// One complete request as the connection handler collected it.
struct IncomingHTTPRequest: Sendable {
    var method: HTTPMethod
    var uri: String
    var headers: HTTPHeaders
    var body: [UInt8]

    /// The token from `Authorization: Bearer <token>`, if there is one.
    var bearerToken: String? {
        guard let value = headers.first(name: "authorization") else { return nil }
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].drop { $0 == " " || $0 == "\t" }.reversed().drop { $0 == " " || $0 == "\t" }.reversed()
        return token.isEmpty ? nil : String(token)
    }
}

/// A whole response. Every one says `Cache-Control: no-store`: job status and keys
/// must never sit in a browser's or a proxy's cache.
struct HTTPReply: Sendable {
    var status: HTTPResponseStatus
    var contentType: String
    var body: [UInt8]
    var extraHeaders: [(String, String)] = []

    static func json(_ status: HTTPResponseStatus, _ value: JSONValue) -> HTTPReply {
        HTTPReply(status: status, contentType: "application/json", body: Array((value.serialized() + "\n").utf8))
    }

    /// `{"error": {code, message, data?}}` with the status the error maps to (or the one given).
    static func error(_ error: JSONRPCError, status: HTTPResponseStatus? = nil) -> HTTPReply {
        var reply = json(status ?? HTTPErrorMapping.status(for: error), ["error": error.json])
        if reply.status == .unauthorized { reply.extraHeaders.append(("WWW-Authenticate", "Bearer")) }
        if case .int(let seconds)? = error.data?["retryAfterSeconds"] { reply.extraHeaders.append(("Retry-After", String(seconds))) }
        return reply
    }

    static let noContent = HTTPReply(status: .noContent, contentType: "application/json", body: [])
}

/// What a route answers: a whole response, or an event stream that starts with
/// `first` and goes on with whatever `followUp` sends.
enum HTTPRouteOutcome: Sendable {
    case reply(HTTPReply)
    case eventStream(first: JSONValue, followUp: (@Sendable (NotificationSink) async -> Void)?)
}
