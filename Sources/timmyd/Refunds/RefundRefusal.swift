import Protocol

/// Why a refund was refused or did not go through. Thrown by `RefundRules` and `Refunder`;
/// what a caller sees of each (JSON-RPC code, reason, message, HTTP status) is decided at
/// the edge, in `BusinessErrorMapping`.
enum RefundRefusal: Error, Equatable, Sendable {
    /// The operator has not configured refunds.
    case refundsDisabled(reason: String)
    case jobNotFound
    /// The job is in a state that cannot be refunded (or has no payment).
    case wrongState(JobState)
    /// The payment failed verification: only the operator refunds it.
    case paymentUnverified(JobState)
    /// The payer could not read the invoice.
    case invoiceUnreadable(String)
    case invoiceWithoutAmount
    case invoiceAboveWhatWasPaid(askedSats: Int64, paidSats: Int64)
    /// One of this service's own invoices (or the job's own).
    case ownInvoice
    case invoiceExpiring
    /// Another job's refund already uses that invoice.
    case invoiceAlreadyUsed
    /// The payment service could not check the invoice.
    case paymentServiceUnavailable
    /// The refund payment failed for certain; the job (now in `state`) can be refunded again.
    case paymentFailed(JobState)
}
