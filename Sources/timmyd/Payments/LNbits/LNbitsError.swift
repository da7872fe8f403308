/// What went wrong talking to LNbits. Descriptions name the failure and LNbits'
/// own `detail` text, never the API key (no request header is ever kept here).
enum LNbitsError: Error, Equatable, CustomStringConvertible {
    /// 401: no key, or a key LNbits does not accept as one.
    case unauthorized(detail: String)
    /// 404 `Wallet not found`: the key belongs to no wallet (LNbits' answer to a wrong key).
    case walletNotFound
    /// 403: the key lacks the right (an invoice key used where an admin key is needed).
    case forbidden(detail: String)
    /// 404 for a payment hash this wallet does not know.
    case notFound(detail: String)
    /// 429, with the server's `Retry-After` in seconds when it sent one.
    case rateLimited(retryAfterSeconds: Int?)
    /// 500, 520 (LNbits' code for refused amounts, bad invoices, …) and other 5xx.
    case server(status: Int, detail: String)
    /// Any other status LNbits is not known to send.
    case unexpectedStatus(status: Int, detail: String)
    /// A 2xx whose body is not what the API documents.
    case malformedReply(String)
    /// No answer within the call's timeout.
    case timeout
    /// No HTTP answer at all: refused connection, DNS, TLS, ….
    case transport(String)

    var description: String {
        switch self {
        case .unauthorized(let detail): "LNbits refused the API key (401): \(detail)"
        case .walletNotFound: "LNbits knows no wallet for this API key (404 Wallet not found)"
        case .forbidden(let detail): "LNbits forbids this call with this key (403): \(detail)"
        case .notFound(let detail): "LNbits has no such payment (404): \(detail)"
        case .rateLimited(let seconds):
            "LNbits rate limit hit (429)" + (seconds.map { "; retry after \($0) s" } ?? "")
        case .server(let status, let detail): "LNbits server error (\(status)): \(detail)"
        case .unexpectedStatus(let status, let detail): "LNbits answered HTTP \(status): \(detail)"
        case .malformedReply(let why): "LNbits answered something unexpected: \(why)"
        case .timeout: "LNbits did not answer in time"
        case .transport(let message): "LNbits unreachable: \(message)"
        }
    }

    /// Whether the key itself is wrong (stop the daemon at start-up), as opposed to LNbits being unwell.
    var isKeyRejected: Bool {
        switch self {
        case .unauthorized, .walletNotFound, .forbidden: true
        default: false
        }
    }
}
