import NIOHTTP1
import Protocol

/// The HTTP status for each JSON-RPC error, in one place. The switch over
/// `ApplicationErrorReason` is exhaustive on purpose: a new reason does not compile
/// until it has a status here.
enum HTTPErrorMapping {
    static func status(for error: JSONRPCError) -> HTTPResponseStatus {
        if let reason = error.reason.flatMap(ApplicationErrorReason.init(rawValue:)) {
            return status(for: reason)
        }
        switch error.code {
        case JSONRPCError.parseErrorCode, JSONRPCError.invalidRequestCode, JSONRPCError.invalidParamsCode:
            return .badRequest
        case JSONRPCError.methodNotFoundCode:
            // A route whose method this daemon does not have (yet).
            return error.reason == "not_over_http" ? .badRequest : .notImplemented
        case JSONRPCError.internalErrorCode:
            return .internalServerError
        default:
            return .badRequest
        }
    }

    static func status(for reason: ApplicationErrorReason) -> HTTPResponseStatus {
        switch reason {
        case .forbidden: .forbidden
        case .notFound: .notFound
        case .badToken: .unauthorized
        case .wrongState: .conflict
        case .keyAlreadyClaimed: .conflict
        case .noKeyHeld: .conflict
        // Both are about the key's state, as the other key answers are: 409 like them.
        case .fingerprintMismatch: .conflict
        case .keyNotClaimed: .conflict
        case .upstreamUnavailable: .serviceUnavailable
        case .stubOnly: .forbidden
        case .overloaded: .serviceUnavailable
        case .tooManyUnpaid: .tooManyRequests
        // Refunds switched off by the operator: the service cannot do it, whatever the request.
        case .refundsDisabled: .serviceUnavailable
        // The payment was tried and failed for certain: the upstream's doing, not the caller's.
        case .refundFailed: .badGateway
        // Admin-only (retry, destroy), never reached over HTTP; mapped for completeness.
        case .teardownIncomplete: .badGateway
        case .tooManyConnections, .tooManyWatches, .rateLimited: .tooManyRequests
        // The buyer's invoice clashes with one already used: make a new one.
        case .invoiceAlreadyUsed: .conflict
        }
    }
}
