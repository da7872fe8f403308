import Protocol

/// A refund: `failed → refunding → refunded`, or back to `failed` when its payment failed.
extension JobStore {
    /// failed → refunding, with the invoice to pay fixed before any payment (see `Refunder`).
    ///
    /// - Throws: `StoreConflict.refundInvoiceInUse` when another job's refund already uses
    ///   that invoice (the unique index on the hash decides a race); nothing changes then.
    func startRefund(
        of id: String, bolt11: String, paymentHash: String, amountSats: Int64, actor: ActorUID
    ) throws -> JobRecord? {
        let hash = paymentHash.lowercased()
        do {
            return try transition(
                .refundStarted, of: id, from: .failed, actor: actor,
                reason: "refund of \(amountSats) sats started, payment hash \(hash)",
                setting: [
                    ("refund_bolt11", .text(bolt11)), ("refund_payment_hash", .text(hash)),
                    ("refund_amount_sats", .integer(amountSats)),
                ])
        } catch let error as SQLiteError where error.isUniqueViolation {
            throw StoreConflict.refundInvoiceInUse
        }
    }

    /// refunding → refunded: the backend proved the refund paid.
    func finishRefund(of id: String, reason: String) throws -> JobRecord? {
        try transition(
            .refundSettled, of: id, from: .refunding, actor: nil, reason: reason,
            setting: [("refunded_at", .integer(Timestamp.now().milliseconds))])
    }

    /// refunding → failed: the refund payment failed for certain; the job is refundable
    /// again, with a new invoice (the old one is forgotten).
    func reopenRefund(of id: String, reason: String) throws -> JobRecord? {
        try transition(
            .refundFailed, of: id, from: .refunding, actor: nil, reason: reason,
            setting: [("refund_bolt11", .null), ("refund_payment_hash", .null), ("refund_amount_sats", .null)])
    }
}
