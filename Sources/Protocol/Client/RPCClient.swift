#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small JSON-RPC 2.0 client for timmyd's socket: one connection, calls in
/// turn, and the notifications the daemon pushes (`bootstrap.changed`).
///
/// Used by `timmyctl`; third-party Swift programs may use it the same way.
public final class RPCClient {
    /// Where timmyd listens unless told otherwise.
    public static let defaultSocketPath = "/run/timmyd/timmyd.sock"

    private let connection: UnixSocketConnection
    private var framer: LineFramer
    private var nextID: Int64 = 1
    private var pendingNotifications: [(method: String, params: JSONValue?)] = []

    /// Sees every byte sent and every line received, in order: for a caller's own
    /// tracing, or for tests that check each reply against the daemon's published schema.
    public var observer: (any RPCTrafficObserver)?

    public init(socketPath: String, maximumLineLength: Int = 16 * 1_048_576) throws(ConnectionError) {
        connection = try UnixSocketConnection(path: socketPath)
        framer = LineFramer(maximumLineLength: maximumLineLength)
    }

    /// Calls `method` and waits for its reply. A JSON-RPC error reply is thrown as
    /// `JSONRPCError`; a broken connection as `ConnectionError`.
    public func call(_ method: String, _ params: JSONValue? = nil) throws -> JSONValue {
        let id = nextID
        nextID += 1
        let request = JSONRPCRequest(method: method, params: params, id: .number(id))
        try sendRaw(Array(request.json.serialized().utf8) + [UInt8(ascii: "\n")])
        while true {
            switch try readMessage() {
            case .response(let response) where response.id == .number(id):
                return try response.outcome.get()
            case .response(let response) where response.id == .null:
                // The daemon could not read our request at all (e.g. it was too long).
                return try response.outcome.get()
            case .notification(let method, let params):
                pendingNotifications.append((method, params))
            case .response, .batch:
                continue
            }
        }
    }

    /// Calls a described method: params encoded from their type, the reply read as
    /// the method's result type (members this client does not know are ignored).
    public func call<Params, Result>(_ method: RPCMethod<Params, Result>, _ params: Params) throws -> Result {
        try reply(method, params).result
    }

    public func call<Result>(_ method: RPCMethod<NoParams, Result>) throws -> Result {
        try call(method, NoParams())
    }

    /// The typed result and the reply as it came, for callers that also print it raw.
    public func reply<Params, Result>(_ method: RPCMethod<Params, Result>, _ params: Params) throws -> RPCReply<Result> {
        // A method without params is called without a params member, as the specification allows.
        // (`JSONValue` is nil-literal-expressible: a bare nil here would send `"params": null`.)
        let sent: JSONValue? = Params.self == NoParams.self ? Optional<JSONValue>.none : params.json
        let raw = try call(method.name.rawValue, sent)
        return RPCReply(result: try Result(json: raw), raw: raw)
    }

    /// The next notification, waiting for one; nil when the daemon closed the connection.
    public func nextNotification() throws -> (method: String, params: JSONValue?)? {
        if !pendingNotifications.isEmpty { return pendingNotifications.removeFirst() }
        while true {
            guard let message = try readMessage(allowEndOfStream: true) else { return nil }
            if case .notification(let method, let params) = message { return (method, params) }
        }
    }

    /// The params of the next `method` notification, passing over any other (and one
    /// without params); nil when the daemon closed the connection.
    public func nextNotification(_ method: String) throws -> JSONValue? {
        while let notification = try nextNotification() {
            if notification.method == method, let params = notification.params { return params }
        }
        return nil
    }

    /// Sends raw bytes as they are, for tests and for `timmyctl call`.
    public func sendRaw(_ bytes: [UInt8]) throws(ConnectionError) {
        observer?.sent(bytes)
        try connection.write(bytes)
    }

    /// The next raw line from the daemon, nil at end of stream.
    public func readLine() throws -> [UInt8]? {
        while true {
            if let line = try framer.nextLine() {
                observer?.received(line: line)
                return line
            }
            let bytes = try connection.read()
            if bytes.isEmpty {
                let last = framer.finish()
                if let last { observer?.received(line: last) }
                return last
            }
            framer.append(bytes)
        }
    }

    public func shutdownWrite() { connection.shutdownWrite() }

    private func readMessage() throws -> ServerMessage {
        guard let message = try readMessage(allowEndOfStream: false) else {
            throw ConnectionError("timmyd closed the connection")
        }
        return message
    }

    private func readMessage(allowEndOfStream: Bool) throws -> ServerMessage? {
        guard let line = try readLine() else {
            if allowEndOfStream { return nil }
            throw ConnectionError("timmyd closed the connection before answering")
        }
        return try ServerMessage(line: line)
    }
}

/// What an `RPCClient` sends and receives, as it happens.
public protocol RPCTrafficObserver: AnyObject {
    /// Bytes as written: one or more lines, or any fragment a raw sender chose.
    func sent(_ bytes: [UInt8])
    /// One whole line from the daemon, without its newline.
    func received(line: [UInt8])
}

/// A typed result with the JSON it was read from.
public struct RPCReply<Result: RPCResult> {
    public var result: Result
    public var raw: JSONValue
}
