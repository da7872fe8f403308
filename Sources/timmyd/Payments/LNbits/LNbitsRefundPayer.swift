/// Refunds paid from the LNbits wallet with its admin key.
struct LNbitsRefundPayer: RefundPayer {
    let client: LNbitsClient

    /// Checks that the key is an admin key of a wallet: LNbits shows the wallet id
    /// only to an admin key. A refused key is a configuration error naming the variable.
    static func connect(_ client: LNbitsClient) async throws -> (payer: LNbitsRefundPayer, trouble: LNbitsError?) {
        do {
            let wallet = try await client.wallet()
            guard wallet.id != nil else {
                throw ConfigurationError("LNBITS_ADMIN_KEY is an invoice key, not the wallet's admin key")
            }
            return (LNbitsRefundPayer(client: client), nil)
        } catch let error as LNbitsError where error.isKeyRejected {
            throw ConfigurationError("LNBITS_ADMIN_KEY is not accepted by LNbits at \(client.baseURL): \(error)")
        } catch let error as LNbitsError {
            return (LNbitsRefundPayer(client: client), error)
        }
    }

    func decode(_ bolt11: String) async throws -> DecodedInvoice {
        do {
            let decoded = try await client.decode(bolt11)
            return DecodedInvoice(
                paymentHash: decoded.paymentHash, amountMsat: decoded.amountMsat,
                expiresAt: Timestamp(unixSeconds: decoded.date).adding(seconds: decoded.expirySeconds))
        } catch {
            // (Matching the case directly in `catch` crashes this compiler.)
            if case .unexpectedStatus(400, let detail) = error {
                throw InvoiceRejected(description: "not a valid Lightning invoice (\(detail))")
            }
            throw error
        }
    }

    func pay(_ bolt11: String) async throws -> OutgoingPaymentState {
        do {
            let payment = try await client.pay(bolt11)
            return Self.state(ofStatus: payment.status, detail: "LNbits reported the payment \(payment.status)")
        } catch {
            // LNbits' 520 is a refusal before or while paying (no route, balance, already
            // paid): not proof that nothing left, so the caller asks by hash.
            if case .server(520, let detail) = error { return .failed(reason: detail) }
            throw error
        }
    }

    func outgoingPayment(paymentHash: String) async throws -> OutgoingPaymentState {
        let status: LNbitsPaymentStatus
        do {
            status = try await client.payment(paymentHash)
        } catch {
            if case .notFound = error { return .notFound }
            throw error
        }
        // The same hash as an incoming row would be our own invoice, never a refund.
        if let amount = status.amountMsat, amount > 0 { return .notFound }
        if status.paid { return .succeeded }
        return Self.state(ofStatus: status.status ?? "pending", detail: "LNbits reports the refund payment failed")
    }

    func isOwnInvoice(paymentHash: String) async throws -> Bool {
        do {
            let status = try await client.payment(paymentHash)
            return (status.amountMsat ?? 0) > 0
        } catch {
            if case .notFound = error { return false }
            throw error
        }
    }

    private static func state(ofStatus status: String, detail: String) -> OutgoingPaymentState {
        switch status {
        case "success": .succeeded
        case "failed": .failed(reason: detail)
        default: .pending
        }
    }
}
