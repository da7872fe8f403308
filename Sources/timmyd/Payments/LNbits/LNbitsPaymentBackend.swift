/// Real payments through an LNbits wallet (its invoice key is enough).
///
/// Each watcher round is one listing call for every open hash; a row with status
/// "success" is confirmed by the single-payment status call before it counts,
/// since the listing only reads LNbits' database and FakeWallet shows preimages
/// on unpaid invoices too. Errors are thrown, never turned into "unpaid".
struct LNbitsPaymentBackend: PaymentBackend {
    let client: LNbitsClient

    var mode: BackendMode { .real }
    var summary: String { "LNbits at \(client.baseURL)" }
    var publicSummary: String { "LNbits" }

    /// Checks the key against `GET /api/v1/wallet`; a rejected key is a configuration error.
    static func connect(_ client: LNbitsClient) async throws -> (backend: LNbitsPaymentBackend, wallet: LNbitsWallet?, trouble: LNbitsError?) {
        do {
            let wallet = try await client.wallet()
            return (LNbitsPaymentBackend(client: client), wallet, nil)
        } catch let error where error.isKeyRejected {
            throw ConfigurationError("LNBITS_API_KEY is not accepted by LNbits at \(client.baseURL): \(error)")
        } catch {
            // LNbits is down or unwell: start anyway (jobs can still be watched), and say so.
            return (LNbitsPaymentBackend(client: client), nil, error)
        }
    }

    func createInvoice(amountSats: Int64, memo: String, expirySeconds: Int64) async throws -> CreatedInvoice {
        let invoice = try await client.createInvoice(amountSats: amountSats, memo: memo, expirySeconds: expirySeconds)
        guard let expectedMsat = Millisatoshis.from(sats: amountSats), invoice.amountMsat == expectedMsat else {
            throw UpstreamError(
                description: "LNbits made an invoice for \(invoice.amountMsat) msat instead of \(amountSats) sats")
        }
        return CreatedInvoice(paymentRequest: invoice.paymentRequest, paymentHash: invoice.paymentHash, amountMsat: invoice.amountMsat)
    }

    func check(paymentHashes: [String]) async throws -> [String: PaymentReport] {
        var reports: [String: PaymentReport] = [:]
        let hashes = Array(Set(paymentHashes.map { $0.lowercased() }.filter(LNbitsClient.isPaymentHash))).sorted()
        var start = 0
        while start < hashes.count {
            let chunk = Array(hashes[start..<min(start + LNbitsClient.maximumHashesPerListing, hashes.count)])
            start += chunk.count
            for row in try await client.listPayments(hashes: chunk) where row.amountMsat > 0 {
                switch row.status {
                case "success":
                    // Confirm with the status call: `paid` is LNbits' own verdict.
                    let status = try await client.payment(row.paymentHash)
                    if status.paid, let preimage = status.preimage ?? row.preimage {
                        reports[row.paymentHash] = .paid(preimage: preimage, amountMsat: row.amountMsat)
                    }
                case "pending", "failed":
                    reports[row.paymentHash] = .unpaid
                default:
                    continue  // a status this code does not know: unknown this round
                }
            }
        }
        // Answer under the caller's spelling of each hash.
        var answer: [String: PaymentReport] = [:]
        for hash in paymentHashes { if let report = reports[hash.lowercased()] { answer[hash] = report } }
        return answer
    }
}
