import Protocol

/// What a refund invoice must satisfy before anything is paid: the checks that need
/// no network, so they are tested on their own.
enum RefundRules {
    /// An invoice that expires sooner than this is refused: paying takes a moment,
    /// and an invoice that lapses mid-payment leaves the refund in doubt.
    static let minimumRemainingLifetimeSeconds: Int64 = 60

    static func check(
        _ invoice: DecodedInvoice, for job: JobRecord, isOwnInvoice: Bool, now: Timestamp, byOperator: Bool = false
    ) throws(RefundRefusal) {
        try checkRefundable(job, byOperator: byOperator)
        guard let amountMsat = invoice.amountMsat, amountMsat > 0 else {
            throw .invoiceWithoutAmount
        }
        guard let paidMsat = Millisatoshis.from(sats: job.amountSats), amountMsat <= paidMsat else {
            throw .invoiceAboveWhatWasPaid(askedSats: amountMsat / 1000, paidSats: job.amountSats)
        }
        guard !isOwnInvoice, invoice.paymentHash != job.paymentHash else {
            throw .ownInvoice
        }
        guard invoice.expiresAt.milliseconds > now.milliseconds + minimumRemainingLifetimeSeconds * 1000 else {
            throw .invoiceExpiring
        }
    }

    /// Whether the job may be refunded at all, before its invoice is looked at: a paid job
    /// that failed. One whose payment failed verification is the operator's to refund: what
    /// arrived (if anything) is not known, so the buyer cannot name the amount.
    static func checkRefundable(_ job: JobRecord, byOperator: Bool) throws(RefundRefusal) {
        guard job.state == .failed, job.paidAt != nil else { throw .wrongState(job.state) }
        guard byOperator || !job.paymentUnverified else { throw .paymentUnverified(job.state) }
    }
}
