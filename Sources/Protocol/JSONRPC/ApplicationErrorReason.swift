/// The stable reason words of timmyd's application errors, each with its own code
/// in the range JSON-RPC 2.0 reserves for implementations (-32000…-32099).
public enum ApplicationErrorReason: String, Sendable, CaseIterable {
    case forbidden
    case notFound = "not_found"
    case badToken = "bad_token"
    case wrongState = "wrong_state"
    case keyAlreadyClaimed = "key_already_claimed"
    case noKeyHeld = "no_key_held"
    case upstreamUnavailable = "upstream_unavailable"
    case stubOnly = "stub_only"
    case overloaded
    case refundsDisabled = "refunds_disabled"
    case refundFailed = "refund_failed"
    /// Too many unpaid jobs from one client address (the web front's abuse limit).
    case tooManyUnpaid = "too_many_unpaid"
    /// Some of a job's cloud resources could not be deleted; nothing moved. Try again.
    case teardownIncomplete = "teardown_incomplete"
    /// `bootstrap.confirmKey` named a fingerprint that is not the held key's; nothing was wiped.
    case fingerprintMismatch = "fingerprint_mismatch"
    /// `bootstrap.confirmKey` before any `bootstrap.claimKey`: there is no delivery to confirm.
    case keyNotClaimed = "key_not_claimed"
    /// The caller's address already holds its share of HTTP connections (`data.limit`).
    case tooManyConnections = "too_many_connections"
    /// A watch over its cap: per connection, per job or (event streams) per address (`data.limit`, `data.scope`).
    case tooManyWatches = "too_many_watches"
    /// Too many `bootstrap.create` calls from one address or uid; `data.retryAfterSeconds` says when to try again.
    case rateLimited = "rate_limited"
    /// A refund invoice another job's refund already uses (or was paid with).
    case invoiceAlreadyUsed = "invoice_already_used"

    public var code: Int {
        switch self {
        case .forbidden: -32001
        case .notFound: -32002
        case .badToken: -32003
        case .wrongState: -32004
        case .keyAlreadyClaimed: -32005
        case .noKeyHeld: -32006
        case .upstreamUnavailable: -32007
        case .stubOnly: -32008
        case .overloaded: -32009
        case .refundsDisabled: -32010
        case .refundFailed: -32011
        case .tooManyUnpaid: -32012
        case .teardownIncomplete: -32013
        case .fingerprintMismatch: -32014
        case .keyNotClaimed: -32015
        case .tooManyConnections: -32016
        case .tooManyWatches: -32017
        case .rateLimited: -32018
        case .invoiceAlreadyUsed: -32020
        }
    }
}
