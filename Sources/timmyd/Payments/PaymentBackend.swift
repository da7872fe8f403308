/// Whether a backend moves real money or machines, or stands in for them.
enum BackendMode: String, Sendable {
    case real
    case stub
}

/// An invoice as the payment backend made it.
struct CreatedInvoice: Sendable, Equatable {
    var paymentRequest: String
    var paymentHash: String
    var amountMsat: Int64
    /// Set by the stub backend: the invoice's record, kept in the new job's transaction.
    var stubRecord: StubInvoiceRecord? = nil
}

/// What the backend says about one invoice. Upstream errors are thrown, never
/// reported as `.unpaid`: "unknown" must not expire a job.
enum PaymentReport: Sendable, Equatable {
    case unpaid
    case paid(preimage: String, amountMsat: Int64)
}

/// Makes invoices and reports payments: LNbits in production, `StubPaymentBackend`
/// without configuration. The state machine and watcher see only this protocol.
protocol PaymentBackend: Sendable {
    var mode: BackendMode { get }
    /// A short human description for admins' `daemon.info` and the log (no secrets).
    var summary: String { get }
    /// What clients' `daemon.info` shows: no upstream address.
    var publicSummary: String { get }

    func createInvoice(amountSats: Int64, memo: String, expirySeconds: Int64) async throws -> CreatedInvoice

    /// Reports on each hash; a hash missing from the answer is "unknown this round".
    func check(paymentHashes: [String]) async throws -> [String: PaymentReport]
}

extension PaymentBackend {
    var publicSummary: String { summary }
}

/// The payment backend could not be reached or answered nonsense.
struct UpstreamError: Error, CustomStringConvertible {
    let description: String
}
