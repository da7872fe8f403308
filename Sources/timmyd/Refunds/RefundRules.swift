import Protocol

/// What a refund invoice must satisfy before anything is paid: the checks that need
/// no network, so they are tested on their own.
enum RefundRules {
    /// An invoice that expires sooner than this is refused: paying takes a moment,
    /// and an invoice that lapses mid-payment leaves the refund in doubt.
    static let minimumRemainingLifetimeSeconds: Int64 = 60

    static func check(
        _ invoice: DecodedInvoice, for job: JobRecord, isOwnInvoice: Bool, now: Timestamp, byOperator: Bool = false
    ) throws(JSONRPCError) {
        try checkRefundable(job, byOperator: byOperator)
        guard let amountMsat = invoice.amountMsat, amountMsat > 0 else {
            throw .invalidParams("The invoice must be for a fixed amount above zero.", field: "bolt11")
        }
        guard let paidMsat = Millisatoshis.from(sats: job.amountSats), amountMsat <= paidMsat else {
            throw .invalidParams(
                "The invoice asks for \(amountMsat / 1000) sats; at most \(job.amountSats) sats (what was paid) can be refunded.",
                field: "bolt11")
        }
        guard !isOwnInvoice, invoice.paymentHash != job.paymentHash else {
            throw .invalidParams("That is an invoice of this service, not one of yours.", field: "bolt11")
        }
        guard invoice.expiresAt.milliseconds > now.milliseconds + minimumRemainingLifetimeSeconds * 1000 else {
            throw .invalidParams("The invoice has expired (or expires within a minute); make a new one.", field: "bolt11")
        }
    }

    /// Whether the job may be refunded at all, before its invoice is looked at: a paid job
    /// that failed. One whose payment failed verification is the operator's to refund: what
    /// arrived (if anything) is not known, so the buyer cannot name the amount.
    static func checkRefundable(_ job: JobRecord, byOperator: Bool) throws(JSONRPCError) {
        guard job.state == .failed, job.paidAt != nil else { throw refusalForState(of: job) }
        guard byOperator || !job.paymentUnverified else {
            throw .application(
                .wrongState, "The payment for this job could not be verified; the operator checks it and refunds it.",
                extra: ["state": job.state.json, "errorReason": .string(JobFailure.paymentUnverified)])
        }
    }

    /// The error for a refund asked of a job in the wrong state, saying what to do instead.
    static func refusalForState(of job: JobRecord) -> JSONRPCError {
        let message: String
        switch job.state {
        case .refunding: message = "A refund for this job is already being paid."
        case .refunded: message = "This job was already refunded."
        case .ready: message = "The node was built; there is nothing to refund."
        default: message = "Only a paid job that failed can be refunded; this one is \(job.state.rawValue)."
        }
        return .application(.wrongState, message, extra: ["state": job.state.json])
    }
}
