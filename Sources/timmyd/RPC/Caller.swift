import Protocol

/// Who is on the other end of a connection, from the socket's peer credentials.
struct Caller: Sendable {
    var pid: Int32
    var uid: UInt32
    var gid: UInt32
    var role: CallerRole
    /// How the request arrived. Over HTTP the role is always `client`, whatever the proxy's uid.
    var transport: Transport = .jsonRPC
    /// The buyer's address as the web proxy reported it (or "unix" when it is not
    /// trusted); nil for JSON-RPC callers on the socket, who are local programs.
    /// Unpaid jobs are capped per address.
    var clientAddress: String? = nil
    /// The watches this caller's JSON-RPC connection may still open; nil over HTTP,
    /// where each event stream is its own request.
    var watchSlots: WatchSlots? = nil

    enum Transport: Sendable {
        case jsonRPC
        case http
    }
}

/// Pushes notifications to the caller on the connection a request came from.
protocol NotificationSink: Sendable {
    /// False once the connection is gone: stop producing.
    func send(method: String, params: JSONValue) async -> Bool

    /// Runs `action` once the connection is gone (at once if it already is).
    func onClose(_ action: @escaping @Sendable () -> Void)
}

/// A method's reply, and optionally work that goes on after it is written
/// (`bootstrap.watch` sends its notifications there).
struct MethodOutcome: Sendable {
    var result: JSONValue
    var followUp: (@Sendable (NotificationSink) async -> Void)?

    init(_ result: JSONValue, followUp: (@Sendable (NotificationSink) async -> Void)? = nil) {
        self.result = result
        self.followUp = followUp
    }
}
