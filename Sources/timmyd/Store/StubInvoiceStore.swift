import Protocol

/// An invoice timmyd issued itself (stub payments): its secret preimage stays here.
struct StubInvoiceRecord: Sendable, Equatable {
    var paymentHash: String
    var preimage: String
    var amountMsat: Int64
    var memo: String
    var expiresAt: Timestamp
}

/// A stub invoice as the stub backends read it back.
struct StubInvoiceState: Sendable, Equatable {
    var preimage: String
    /// Positive for an invoice timmyd issued; negative for a refund it "paid" out.
    var amountMsat: Int64
    var paid: Bool
}

/// The `stub_invoices` table: the stub payment backend's invoices and the stub refund
/// payer's outgoing payments, kept in the daemon's database so a restart forgets nothing.
struct StubInvoiceStore: Sendable {
    let database: SQLiteDatabase

    /// Written by `JobStore.createJob`, in the job's own transaction.
    static func insert(_ invoice: StubInvoiceRecord, into tx: SQLiteDatabase.Transaction) throws {
        _ = try tx.execute(
            "INSERT INTO stub_invoices (payment_hash, preimage, amount_msat, memo, expires_at) VALUES (?, ?, ?, ?, ?)",
            [
                .text(invoice.paymentHash), .text(invoice.preimage), .integer(invoice.amountMsat), .text(invoice.memo),
                .integer(invoice.expiresAt.milliseconds),
            ] as [SQLValue])
    }

    func invoice(paymentHash: String) throws -> StubInvoiceState? {
        guard let row = try database.queryOne("SELECT * FROM stub_invoices WHERE payment_hash = ?", [.text(paymentHash)]),
            let preimage = row.string("preimage"), let amount = row.int("amount_msat")
        else { return nil }
        return StubInvoiceState(preimage: preimage, amountMsat: amount, paid: row.int("paid_at") != nil)
    }

    /// Marks an issued invoice paid, as a wallet would. False when it was paid already (or is unknown).
    func markPaid(paymentHash: String) throws -> Bool {
        try database.execute(
            "UPDATE stub_invoices SET paid_at = ? WHERE payment_hash = ? AND paid_at IS NULL",
            [.integer(Timestamp.now().milliseconds), .text(paymentHash)] as [SQLValue]) == 1
    }

    /// Records an outgoing (refund) payment once; false when that invoice was paid before.
    func recordOutgoing(paymentHash: String, amountMsat: Int64, expiresAt: Timestamp) throws -> Bool {
        try database.execute(
            """
            INSERT INTO stub_invoices (payment_hash, preimage, amount_msat, memo, expires_at, paid_at)
            VALUES (?, ?, ?, 'stub refund', ?, ?) ON CONFLICT (payment_hash) DO NOTHING
            """,
            [
                .text(paymentHash), .text(CryptoRandom.bytes(32).hexString), .integer(-amountMsat),
                .integer(expiresAt.milliseconds), .integer(Timestamp.now().milliseconds),
            ] as [SQLValue]) == 1
    }
}
