import Protocol

/// An error business code throws in its own words (`RefundRefusal`, `JobRuleViolation`,
/// `StoreConflict`, `UnpaidLimitReached`); the wire form is made here, at the edge.
protocol BusinessError: Error {}

extension RefundRefusal: BusinessError {}
extension JobRuleViolation: BusinessError {}
extension StoreConflict: BusinessError {}
extension UnpaidLimitReached: BusinessError {}

/// What callers see of each business error: its JSON-RPC code, `data.reason`, message and
/// extra fields, in one place. The HTTP status follows from the reason
/// (`HTTPErrorMapping`), so JSON-RPC and HTTP callers always agree.
enum BusinessErrorMapping {
    static func jsonRPCError(for error: any BusinessError) -> JSONRPCError {
        switch error {
        case let refusal as RefundRefusal: jsonRPCError(for: refusal)
        case let violation as JobRuleViolation: jsonRPCError(for: violation)
        case let conflict as StoreConflict: jsonRPCError(for: conflict)
        case let reached as UnpaidLimitReached: tooManyUnpaid(limit: reached.limit)
        default: .internalError()
        }
    }

    static func jsonRPCError(for refusal: RefundRefusal) -> JSONRPCError {
        switch refusal {
        case .refundsDisabled(let reason):
            return .application(.refundsDisabled, "Refunds are not available: \(reason).")
        case .jobNotFound:
            return .application(.notFound, "No job with that id.")
        case .wrongState(let state):
            return .application(.wrongState, wrongStateMessage(state), extra: ["state": state.json])
        case .paymentUnverified(let state):
            return .application(
                .wrongState, "The payment for this job could not be verified; the operator checks it and refunds it.",
                extra: ["state": state.json, "errorReason": .string(JobFailure.paymentUnverified)])
        case .invoiceUnreadable(let why):
            return .invalidParams("bolt11 is \(why)", field: "bolt11")
        case .invoiceWithoutAmount:
            return .invalidParams("The invoice must be for a fixed amount above zero.", field: "bolt11")
        case .invoiceAboveWhatWasPaid(let askedSats, let paidSats):
            return .invalidParams(
                "The invoice asks for \(askedSats) sats; at most \(paidSats) sats (what was paid) can be refunded.",
                field: "bolt11")
        case .ownInvoice:
            return .invalidParams("That is an invoice of this service, not one of yours.", field: "bolt11")
        case .invoiceExpiring:
            return .invalidParams("The invoice has expired (or expires within a minute); make a new one.", field: "bolt11")
        case .invoiceAlreadyUsed:
            return invoiceAlreadyUsed
        case .paymentServiceUnavailable:
            return .application(.upstreamUnavailable, "The payment service is unavailable; try again shortly.")
        case .paymentFailed(let state):
            return .application(
                .refundFailed,
                "The refund payment did not go through; the job can be refunded again with a new invoice.",
                extra: ["state": state.json])
        }
    }

    static func jsonRPCError(for violation: JobRuleViolation) -> JSONRPCError {
        switch violation {
        case .labelTooLong(let maximumCharacters):
            return .invalidParams("label must be at most \(maximumCharacters) characters", field: "label")
        case .labelNotPlainText(let scalar):
            let code = String(scalar.value, radix: 16, uppercase: true)
            return .invalidParams(
                "label must be plain text: U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code) "
                    + "(a control or invisible formatting character) is not allowed",
                field: "label")
        }
    }

    static func jsonRPCError(for conflict: StoreConflict) -> JSONRPCError {
        switch conflict {
        case .refundInvoiceInUse: invoiceAlreadyUsed
        }
    }

    static func tooManyUnpaid(limit: Int64) -> JSONRPCError {
        .application(
            .tooManyUnpaid, "There are already \(limit) unpaid purchases from your address; pay or cancel one first.",
            extra: ["limit": .int(limit)])
    }

    private static let invoiceAlreadyUsed = JSONRPCError.application(
        .invoiceAlreadyUsed,
        "That invoice is already used for another refund; an invoice can be paid only once. Make a new one.")

    /// A refund asked of a job in the wrong state, saying what to do instead.
    private static func wrongStateMessage(_ state: JobState) -> String {
        switch state {
        case .refunding: "A refund for this job is already being paid."
        case .refunded: "This job was already refunded."
        case .ready: "The node was built; there is nothing to refund."
        default: "Only a paid job that failed can be refunded; this one is \(state.rawValue)."
        }
    }
}
