import Protocol

/// `GET /api/v1/wallet`.
struct LNbitsWallet: Sendable, Equatable {
    var id: String?
    var name: String
    var balanceMsat: Int64
}

/// The answer to `POST /api/v1/payments` with `"out": false`.
struct LNbitsInvoice: Sendable, Equatable {
    var paymentHash: String
    var paymentRequest: String
    /// LNbits answers in msat although the request is in sats.
    var amountMsat: Int64
    var status: String?
}

/// `GET /api/v1/payments/{hash}`. FakeWallet shows a preimage on unpaid invoices
/// too: only `paid == true` means paid.
struct LNbitsPaymentStatus: Sendable, Equatable {
    var paid: Bool
    var status: String?
    var preimage: String?
    var amountMsat: Int64?
}

/// One row of `GET /api/v1/payments/paginated`.
struct LNbitsPaymentRow: Sendable, Equatable {
    var paymentHash: String
    /// Positive for incoming payments, in msat.
    var amountMsat: Int64
    /// "pending", "success" or "failed".
    var status: String
    var preimage: String?
}

/// `POST /api/v1/payments/decode`.
struct LNbitsDecodedInvoice: Sendable, Equatable {
    var paymentHash: String
    var amountMsat: Int64?
    /// Unix seconds when the invoice was made, and its lifetime in seconds.
    var date: Int64
    var expirySeconds: Int64
}

/// The answer to `POST /api/v1/payments` with `"out": true`. A 201 is not proof of
/// payment: only `status == "success"` is.
struct LNbitsOutgoingPayment: Sendable, Equatable {
    var paymentHash: String
    var status: String
}

extension LNbitsDecodedInvoice {
    init(json: JSONValue) throws(LNbitsError) {
        guard let hash = json["payment_hash"]?.stringValue, LNbitsClient.isPaymentHash(hash) else {
            throw .malformedReply("decoded invoice without a valid payment_hash")
        }
        guard let date = json["date"]?.intValue else { throw .malformedReply("decoded invoice without a date") }
        paymentHash = hash.lowercased()
        amountMsat = json["amount_msat"]?.intValue
        self.date = date
        // BOLT 11: an invoice without an expiry field lives 3600 seconds.
        expirySeconds = json["expiry"]?.intValue ?? 3600
    }
}

extension LNbitsOutgoingPayment {
    init(json: JSONValue) throws(LNbitsError) {
        guard let hash = json["payment_hash"]?.stringValue, LNbitsClient.isPaymentHash(hash),
            let status = json["status"]?.stringValue
        else { throw .malformedReply("payment reply without payment_hash or status") }
        paymentHash = hash.lowercased()
        self.status = status
    }
}

extension LNbitsWallet {
    init(json: JSONValue) throws(LNbitsError) {
        // An invoice key sees only name and balance; an admin key also sees the id.
        id = json["id"]?.stringValue
        name = json["name"]?.stringValue ?? ""
        guard let balance = json["balance"]?.intValue else { throw .malformedReply("wallet without a balance") }
        balanceMsat = balance
    }
}

extension LNbitsInvoice {
    init(json: JSONValue) throws(LNbitsError) {
        guard let hash = json["payment_hash"]?.stringValue, LNbitsClient.isPaymentHash(hash) else {
            throw .malformedReply("invoice without a valid payment_hash")
        }
        guard let request = json["payment_request"]?.stringValue ?? json["bolt11"]?.stringValue, !request.isEmpty else {
            throw .malformedReply("invoice without a payment_request")
        }
        guard let amount = json["amount"]?.intValue else { throw .malformedReply("invoice without an amount") }
        paymentHash = hash.lowercased()
        paymentRequest = request
        amountMsat = amount
        status = json["status"]?.stringValue
    }
}

extension LNbitsPaymentStatus {
    init(json: JSONValue) throws(LNbitsError) {
        guard let paid = json["paid"]?.boolValue else { throw .malformedReply("payment status without `paid`") }
        self.paid = paid
        let details = json["details"]
        status = details?["status"]?.stringValue ?? json["status"]?.stringValue
        preimage = json["preimage"]?.stringValue ?? details?["preimage"]?.stringValue
        amountMsat = details?["amount"]?.intValue
    }
}

extension LNbitsPaymentRow {
    init(json: JSONValue) throws(LNbitsError) {
        guard let hash = json["payment_hash"]?.stringValue, let amount = json["amount"]?.intValue,
            let status = json["status"]?.stringValue
        else { throw .malformedReply("payment row without payment_hash, amount or status") }
        paymentHash = hash.lowercased()
        amountMsat = amount
        self.status = status
        preimage = json["preimage"]?.stringValue
    }
}
