/// Limits that keep one caller from taking what every other caller needs: connection
/// slots, memory for requests in flight, change subscribers, and new jobs.
/// See `etc/timmyd.env` for each variable.
struct CallerLimits: Sendable {
    /// Connections only admins may use: clients get `MAX_CONNECTIONS` minus these, so
    /// no web visitor or local client can lock the operator out.
    var adminReservedConnections = 16
    /// Requests one JSON-RPC connection may have dispatched and not yet answered; past
    /// it the daemon stops reading from that connection until a reply is written.
    var requestsInFlightPerConnection = 16
    /// Calls in one JSON-RPC batch; a longer batch gets one error and nothing runs.
    var batchLength = 100
    /// `bootstrap.watch` subscriptions one JSON-RPC connection may hold at once.
    var watchesPerConnection = 32
    /// Watches of one job at once, over JSON-RPC and HTTP event streams together.
    var watchesPerJob = 16
    /// `bootstrap.create` per client address (HTTP) or per uid (local clients) per
    /// minute, as a token bucket that holds this many; 0 turns the limit off. Admins are not limited.
    var createsPerMinute = 10
}
