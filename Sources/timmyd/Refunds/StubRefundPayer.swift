/// Refunds without LNbits, so the whole failed → refunded path can be tried on a laptop.
///
/// A stub refund invoice is any text `lnstubrefund<sats>sat…` (for example
/// `lnstubrefund1000sat1demo`); its hash is sha256 of the text and it never
/// expires. "Paying" one records an outgoing row (negative amount) in
/// `StubInvoiceStore`, so a restart remembers what was paid.
struct StubRefundPayer: RefundPayer {
    let invoices: StubInvoiceStore

    init(database: SQLiteDatabase) {
        self.invoices = StubInvoiceStore(database: database)
    }

    static let invoicePrefix = "lnstubrefund"

    func decode(_ bolt11: String) async throws -> DecodedInvoice {
        let text = bolt11.lowercased()
        let afterPrefix = text.dropFirst(Self.invoicePrefix.count)
        let digits = afterPrefix.prefix { $0.isASCII && $0.isNumber }
        guard text.hasPrefix(Self.invoicePrefix), text.utf8.count <= 200, !digits.isEmpty,
            afterPrefix.dropFirst(digits.count).hasPrefix("sat")
        else {
            throw InvoiceRejected(description: "not a stub refund invoice (stub payments take `lnstubrefund<sats>sat…`)")
        }
        // Any number of digits may follow the prefix: one that does not fit in msat is refused, never multiplied.
        guard let sats = Int64(digits), let msat = Millisatoshis.from(sats: sats) else {
            throw InvoiceRejected(description: "an invoice for more sats than any payment can carry")
        }
        return DecodedInvoice(
            paymentHash: Self.paymentHash(of: text), amountMsat: msat, expiresAt: Timestamp(milliseconds: Int64.max / 2))
    }

    func pay(_ bolt11: String) async throws -> OutgoingPaymentState {
        let decoded = try await decode(bolt11)
        let inserted = try invoices.recordOutgoing(
            paymentHash: decoded.paymentHash, amountMsat: decoded.amountMsat ?? 0, expiresAt: decoded.expiresAt)
        // Like a real wallet, an invoice is paid once.
        return inserted ? .succeeded : .failed(reason: "the invoice was already paid")
    }

    func outgoingPayment(paymentHash: String) async throws -> OutgoingPaymentState {
        guard let amount = try invoices.invoice(paymentHash: paymentHash)?.amountMsat, amount < 0 else { return .notFound }
        return .succeeded
    }

    func isOwnInvoice(paymentHash: String) async throws -> Bool {
        return (try invoices.invoice(paymentHash: paymentHash)?.amountMsat ?? 0) > 0
    }

    static func paymentHash(of invoice: String) -> String {
        SHA256Digest.hex(Array(invoice.lowercased().utf8))
    }
}
