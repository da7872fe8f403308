import Protocol

/// What can happen to a job. Each event is allowed from a fixed set of states,
/// and leads to exactly one state.
enum JobEvent: String, Sendable, CaseIterable {
    /// The invoice was paid (checked: preimage matches the hash, amount matches).
    case paymentConfirmed
    /// The invoice ran out unpaid (the payment backend said so, after the deadline).
    case invoiceExpired
    case cancelledByBuyer
    /// A payment after expiry or cancel, held for a refund (`LATE_PAYMENT_POLICY=refund`).
    case latePaymentRefundable
    /// The backend reported the invoice paid, but the payment failed verification (amount
    /// or preimage): money may have arrived, so the job goes where an admin sees it and
    /// can refund it, never back to "nothing was charged".
    case paymentUnverified
    case provisioningSucceeded
    case provisioningFailed
    case retryRequested
    case refundStarted
    case refundSettled
    /// The refund payment failed for certain; the job is refundable again.
    case refundFailed
    case destroyRequested
}

/// The job life cycle as a pure value: which event may move which state where.
///
/// - Important: the store applies a move with one guarded statement
///   (`UPDATE … WHERE id = ? AND state = <from> RETURNING …`), so of any number of
///   concurrent callers exactly one performs it. This table is the only place that
///   says which moves exist.
enum JobStateMachine {
    static func target(of event: JobEvent, from state: JobState) -> JobState? {
        switch (event, state) {
        case (.paymentConfirmed, .awaitingPayment): .provisioning
        // A payment that lands at or after the deadline is never lost.
        case (.paymentConfirmed, .expired): .provisioning
        case (.paymentConfirmed, .cancelled): .provisioning
        case (.latePaymentRefundable, .expired): .failed
        case (.latePaymentRefundable, .cancelled): .failed
        case (.paymentUnverified, .awaitingPayment): .failed
        case (.paymentUnverified, .expired): .failed
        case (.paymentUnverified, .cancelled): .failed
        case (.invoiceExpired, .awaitingPayment): .expired
        case (.cancelledByBuyer, .awaitingPayment): .cancelled
        case (.provisioningSucceeded, .provisioning): .ready
        case (.provisioningFailed, .provisioning): .failed
        case (.retryRequested, .failed): .provisioning
        case (.refundStarted, .failed): .refunding
        case (.refundSettled, .refunding): .refunded
        case (.refundFailed, .refunding): .failed
        case (.destroyRequested, .ready): .destroyed
        default: nil
        }
    }

    /// The states `event` may start from.
    static func sources(of event: JobEvent) -> [JobState] {
        JobState.allCases.filter { target(of: event, from: $0) != nil }
    }
}
