/// Invoices that look like nothing real, for trying timmyd without LNbits.
///
/// Each invoice has a random preimage and `paymentHash = sha256(preimage)`, kept in
/// the `stub_invoices` table so a restart forgets nothing. `admin.payments.simulate`
/// marks one paid; the watcher then checks it exactly as it checks a real payment.
struct StubPaymentBackend: PaymentBackend {
    let database: SQLiteDatabase
    /// Test-only fault injection (`TIMMY_FAULT_STUB_PAYMENT_REPORT`): paid invoices are
    /// reported with a wrong amount or preimage, as a faulty or hostile backend might.
    var fault: StubPaymentFault? = nil

    var mode: BackendMode { .stub }
    var summary: String { "stub payments (no LNbits configured): invoices are fake, pay them with simulate-payment" }

    func createInvoice(amountSats: Int64, memo: String, expirySeconds: Int64) async throws -> CreatedInvoice {
        let preimage = CryptoRandom.bytes(32)
        let hash = SHA256Digest.hex(preimage)
        guard let amountMsat = Millisatoshis.from(sats: amountSats) else {
            throw UpstreamError(description: "an invoice for \(amountSats) sats does not fit in msat")
        }
        let invoice = CreatedInvoice(
            paymentRequest: "lnstub\(amountSats)sat1\(hash.prefix(40))notarealinvoice",
            paymentHash: hash, amountMsat: amountMsat)
        _ = try database.execute(
            "INSERT INTO stub_invoices (payment_hash, preimage, amount_msat, memo, expires_at) VALUES (?, ?, ?, ?, ?)",
            [
                .text(hash), .text(preimage.hexString), .integer(invoice.amountMsat), .text(memo),
                .integer(Timestamp.now().adding(seconds: expirySeconds).milliseconds),
            ])
        return invoice
    }

    func check(paymentHashes: [String]) async throws -> [String: PaymentReport] {
        var reports: [String: PaymentReport] = [:]
        for hash in paymentHashes {
            guard let row = try database.queryOne("SELECT * FROM stub_invoices WHERE payment_hash = ?", [.text(hash)])
            else { continue }
            if row.int("paid_at") != nil, let preimage = row.string("preimage"), let amount = row.int("amount_msat") {
                switch fault {
                case nil: reports[hash] = .paid(preimage: preimage, amountMsat: amount)
                case .wrongAmount: reports[hash] = .paid(preimage: preimage, amountMsat: amount - 1000)
                case .wrongPreimage: reports[hash] = .paid(preimage: String(repeating: "00", count: 32), amountMsat: amount)
                }
            } else {
                reports[hash] = .unpaid
            }
        }
        return reports
    }

    /// Pays a stub invoice, as a wallet would. Paying twice changes nothing.
    func simulatePayment(paymentHash: String) throws -> Bool {
        try database.execute(
            "UPDATE stub_invoices SET paid_at = ? WHERE payment_hash = ? AND paid_at IS NULL",
            [.integer(Timestamp.now().milliseconds), .text(paymentHash)]) == 1
    }
}

/// How a faulty stub backend misreports a paid invoice (`TIMMY_FAULT_STUB_PAYMENT_REPORT`).
enum StubPaymentFault: String, Sendable, CaseIterable {
    /// 1 sat less than the invoice asked.
    case wrongAmount = "wrong_amount"
    /// A preimage that does not hash to the payment hash.
    case wrongPreimage = "wrong_preimage"
}
