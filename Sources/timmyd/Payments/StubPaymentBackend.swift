/// Invoices that look like nothing real, for trying timmyd without LNbits.
///
/// Each invoice has a random preimage and `paymentHash = sha256(preimage)`, kept in
/// the daemon's database (`StubInvoiceStore`) so a restart forgets nothing. `admin.payments.simulate`
/// marks one paid; the watcher then checks it exactly as it checks a real payment.
struct StubPaymentBackend: PaymentBackend {
    let invoices: StubInvoiceStore
    /// Test-only fault injection (`TIMMY_FAULT_STUB_PAYMENT_REPORT`): paid invoices are
    /// reported with a wrong amount or preimage, as a faulty or hostile backend might.
    var fault: StubPaymentFault? = nil

    init(database: SQLiteDatabase, fault: StubPaymentFault? = nil) {
        self.invoices = StubInvoiceStore(database: database)
        self.fault = fault
    }

    var mode: BackendMode { .stub }
    var summary: String { "stub payments (no LNbits configured): invoices are fake, pay them with simulate-payment" }

    func createInvoice(amountSats: Int64, memo: String, expirySeconds: Int64) async throws -> CreatedInvoice {
        let preimage = CryptoRandom.bytes(32)
        let hash = SHA256Digest.hex(preimage)
        guard let amountMsat = Millisatoshis.from(sats: amountSats) else {
            throw UpstreamError(description: "an invoice for \(amountSats) sats does not fit in msat")
        }
        var invoice = CreatedInvoice(
            paymentRequest: "lnstub\(amountSats)sat1\(hash.prefix(40))notarealinvoice",
            paymentHash: hash, amountMsat: amountMsat)
        // Not written here: the job's own transaction keeps it (see `JobStore.createJob`), so a
        // failed create leaves no invoice behind.
        invoice.stubRecord = StubInvoiceRecord(
            paymentHash: hash, preimage: preimage.hexString, amountMsat: amountMsat, memo: memo,
            expiresAt: Timestamp.now().adding(seconds: expirySeconds))
        return invoice
    }

    func check(paymentHashes: [String]) async throws -> [String: PaymentReport] {
        var reports: [String: PaymentReport] = [:]
        for hash in paymentHashes {
            guard let invoice = try invoices.invoice(paymentHash: hash) else { continue }
            if invoice.paid {
                let preimage = invoice.preimage, amount = invoice.amountMsat
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
        try invoices.markPaid(paymentHash: paymentHash)
    }
}

/// How a faulty stub backend misreports a paid invoice (`TIMMY_FAULT_STUB_PAYMENT_REPORT`).
enum StubPaymentFault: String, Sendable, CaseIterable {
    /// 1 sat less than the invoice asked.
    case wrongAmount = "wrong_amount"
    /// A preimage that does not hash to the payment hash.
    case wrongPreimage = "wrong_preimage"
}
