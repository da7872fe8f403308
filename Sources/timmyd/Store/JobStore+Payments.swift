import Protocol

/// A job's invoice: paid, refused, expired or cancelled. Each is a guarded move from the
/// state the caller saw, so of concurrent settlers exactly one wins.
extension JobStore {
    /// The invoice was paid (and verified): provisioning starts at phase `queued`. From
    /// `expired` or `cancelled` it is a late payment, recorded as such.
    func confirmPayment(of id: String, from state: JobState, preimage: String, actor: ActorUID) throws -> JobRecord? {
        let now = Timestamp.now()
        let late = state != .awaitingPayment
        return try transition(
            .paymentConfirmed, of: id, from: state, actor: actor,
            reason: late ? "late payment confirmed (after \(state.rawValue))" : "payment confirmed",
            setting: [
                ("paid_at", .integer(now.milliseconds)), ("preimage", .text(preimage)),
                ("provisioning_started_at", .integer(now.milliseconds)),
            ], phase: .queued)
    }

    /// `LATE_PAYMENT_POLICY=refund`: a payment after expiry or cancel builds nothing and
    /// leaves the job failed and refundable, with `failure` shown to the buyer and the admin.
    func holdLatePaymentForRefund(
        of id: String, from state: JobState, preimage: String, actor: ActorUID, failure: JobFailureText
    ) throws -> JobRecord? {
        try transition(
            .latePaymentRefundable, of: id, from: state, actor: actor,
            reason: "late payment confirmed (after \(state.rawValue)); held for a refund by LATE_PAYMENT_POLICY",
            setting: [
                ("paid_at", .integer(Timestamp.now().milliseconds)), ("preimage", .text(preimage)),
                ("error_public", .text(failure.publicMessage)), ("error_detail", .text(failure.detail)),
            ])
    }

    /// A "paid" report that failed verification: the job fails with `payment_unverified`,
    /// for an admin to check and refund. `reportedPreimage` is what the backend claimed.
    func failUnverifiedPayment(
        of id: String, from state: JobState, why: String, reportedPreimage: String?, actor: ActorUID,
        failure: JobFailureText
    ) throws -> JobRecord? {
        var columns: [(String, SQLValue)] = [("paid_at", .integer(Timestamp.now().milliseconds))]
        if let reportedPreimage { columns.append(("preimage", .text(reportedPreimage))) }
        columns += [
            ("error_public", .text(failure.publicMessage)), ("error_detail", .text(failure.detail)),
            ("error_reason", .text(JobFailure.paymentUnverified)),
        ]
        return try transition(
            .paymentUnverified, of: id, from: state, actor: actor, reason: "payment report refused: \(why)",
            setting: columns)
    }

    /// The backend confirmed the invoice unpaid after its deadline.
    func expireInvoice(of id: String) throws -> JobRecord? {
        try transition(
            .invoiceExpired, of: id, from: .awaitingPayment, actor: nil,
            reason: "invoice expired unpaid (backend confirmed unpaid after the deadline)", setting: [])
    }

    /// The buyer cancelled a job still awaiting payment.
    func cancelByBuyer(_ id: String, actor: ActorUID) throws -> JobRecord? {
        try transition(.cancelledByBuyer, of: id, from: .awaitingPayment, actor: actor, reason: "cancelled by the buyer", setting: [])
    }
}

/// Why a job failed, in two voices: `publicMessage` for the buyer, `detail` for the admin only.
struct JobFailureText: Sendable, Equatable {
    var publicMessage: String
    var detail: String
}
