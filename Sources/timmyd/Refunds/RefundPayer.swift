/// A Lightning invoice as the payment backend decoded it.
struct DecodedInvoice: Sendable, Equatable {
    var paymentHash: String
    /// nil for an invoice without an amount (refused for refunds: the amount must be fixed).
    var amountMsat: Int64?
    var expiresAt: Timestamp
}

/// What the backend knows about an outgoing payment, looked up by its hash.
enum OutgoingPaymentState: Sendable, Equatable {
    case succeeded
    /// Sent and not finished: it may still succeed.
    case pending
    /// Finished without paying: nothing left the wallet.
    case failed(reason: String)
    /// The backend has no payment with this hash: it was never sent.
    case notFound
}

/// Pays refunds: needs more than an invoice key, so it is configured separately and
/// may be absent.
///
/// - Important: a refund always pays one fixed invoice (stored with the job before
///   the first attempt). An invoice settles once, so even a second attempt after an
///   ambiguous failure cannot pay the buyer twice.
protocol RefundPayer: Sendable {
    func decode(_ bolt11: String) async throws -> DecodedInvoice

    /// Sends the payment. Returns what the backend said once the call finished;
    /// throws when the outcome is unknown (timeout, connection lost).
    func pay(_ bolt11: String) async throws -> OutgoingPaymentState

    func outgoingPayment(paymentHash: String) async throws -> OutgoingPaymentState

    /// Whether this wallet issued an invoice with this hash (paying it would pay ourselves).
    func isOwnInvoice(paymentHash: String) async throws -> Bool
}

/// Whether this daemon can pay refunds, and if not, why (for the buyer and `daemon.info`).
enum RefundAvailability: Sendable {
    case available(RefundPayer)
    case disabled(reason: String)

    var payer: RefundPayer? {
        if case .available(let payer) = self { payer } else { nil }
    }
}

/// An invoice the backend could not accept as a refund target (not an upstream outage).
struct InvoiceRejected: Error, CustomStringConvertible {
    let description: String
}
