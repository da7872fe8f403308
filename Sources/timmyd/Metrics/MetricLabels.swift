/// Label values of timmyd's metrics. Every label comes from one of these closed sets
/// (or from `JobState` / `ProvisionPhase`), never from a job, an invoice, an address or a
/// caller: a scrape cannot leak them, and the number of series stays fixed.

/// The upstream APIs timmyd calls.
enum UpstreamAPI: String, Sendable, CaseIterable {
    case lnbits
    case digitalocean
    case tailscale
}

/// How one upstream HTTP attempt ended.
enum UpstreamOutcome: String, Sendable, CaseIterable {
    case informational = "1xx"
    case success = "2xx"
    case redirect = "3xx"
    case clientError = "4xx"
    case serverError = "5xx"
    /// No HTTP answer at all: no connection, a timeout, a TLS failure.
    case transportError = "transport_error"

    init(status: Int) {
        switch status {
        case 200..<300: self = .success
        case 300..<400: self = .redirect
        case 400..<500: self = .clientError
        case 500..<600: self = .serverError
        // curl reports 0 when no status line came; anything outside 100...599 is not HTTP.
        case 100..<200: self = .informational
        default: self = .transportError
        }
    }
}

/// The steps of a refund counted by `timmyd_refunds_total`.
enum RefundOutcome: String, Sendable, CaseIterable {
    case started
    case succeeded
    case failed
}

/// What a connection on the socket speaks, once the first byte told.
enum ConnectionProtocol: String, Sendable, CaseIterable {
    case jsonrpc
    case http
}
