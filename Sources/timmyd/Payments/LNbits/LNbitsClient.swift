import Protocol

/// Typed calls to the LNbits REST API (1.x) with one wallet's key.
///
/// Every call has a timeout and maps failures to `LNbitsError`; the key travels
/// only in the `X-Api-Key` header and never appears in an error or a log line.
struct LNbitsClient: Sendable {
    let baseURL: String
    let apiKey: Secret
    let http: HTTPClient
    var timeoutMilliseconds = 10_000

    init(baseURL: String, apiKey: Secret, http: HTTPClient, timeoutMilliseconds: Int = 10_000) {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
        self.apiKey = apiKey
        self.http = http
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// The most hashes one listing call asks about (LNbits' `in` filter and `limit` stop at 1000).
    static let maximumHashesPerListing = 1000

    // MARK: Calls

    /// `GET /api/v1/wallet`: the wallet this key opens (a cheap way to validate the key).
    func wallet() async throws(LNbitsError) -> LNbitsWallet {
        try LNbitsWallet(json: try await call(request(method: "GET", path: "/api/v1/wallet")))
    }

    /// `POST /api/v1/payments` with `"out": false` (LNbits' default is to pay, not to invoice).
    func createInvoice(amountSats: Int64, memo: String, expirySeconds: Int64) async throws(LNbitsError) -> LNbitsInvoice {
        try LNbitsInvoice(json: try await call(createInvoiceRequest(amountSats: amountSats, memo: memo, expirySeconds: expirySeconds)))
    }

    /// `GET /api/v1/payments/{hash}`.
    func payment(_ hash: String) async throws(LNbitsError) -> LNbitsPaymentStatus {
        guard Self.isPaymentHash(hash) else { throw .malformedReply("not a payment hash") }
        return try LNbitsPaymentStatus(json: try await call(request(method: "GET", path: "/api/v1/payments/\(hash.lowercased())")))
    }

    /// `GET /api/v1/payments/paginated?payment_hash[in]=…`: the rows of these hashes, any status.
    /// LNbits ignores filters it does not understand and then returns every row, so
    /// an answer with a row that was not asked for is refused, not trusted.
    func listPayments(hashes: [String]) async throws(LNbitsError) -> [LNbitsPaymentRow] {
        guard !hashes.isEmpty else { return [] }
        let wanted = Set(hashes.map { $0.lowercased() })
        guard wanted.allSatisfy(Self.isPaymentHash) else { throw .malformedReply("not a payment hash") }
        guard wanted.count <= Self.maximumHashesPerListing else {
            throw .malformedReply("more than \(Self.maximumHashesPerListing) hashes in one listing")
        }
        let reply = try await call(listPaymentsRequest(hashes: wanted.sorted()))
        guard let data = reply["data"]?.arrayValue else { throw .malformedReply("listing without `data`") }
        var rows: [LNbitsPaymentRow] = []
        for item in data {
            let row = try LNbitsPaymentRow(json: item)
            guard wanted.contains(row.paymentHash) else {
                throw .malformedReply("listing returned a payment that was not asked for (filter ignored?)")
            }
            rows.append(row)
        }
        return rows
    }

    /// `POST /api/v1/payments/decode`: what a bolt11 says (any key).
    func decode(_ bolt11: String) async throws(LNbitsError) -> LNbitsDecodedInvoice {
        try LNbitsDecodedInvoice(json: try await call(request(method: "POST", path: "/api/v1/payments/decode", body: ["data": .string(bolt11)])))
    }

    /// `POST /api/v1/payments` with `"out": true`: pays from this wallet (admin key).
    func pay(_ bolt11: String) async throws(LNbitsError) -> LNbitsOutgoingPayment {
        try LNbitsOutgoingPayment(json: try await call(payRequest(bolt11)))
    }

    // MARK: Requests (internal for tests)

    func request(method: String, path: String, body: JSONValue? = nil) -> HTTPRequest {
        .jsonAPI(
            method, url: baseURL + path, credential: ("X-Api-Key", apiKey.reveal()), body: body,
            timeoutMilliseconds: timeoutMilliseconds)
    }

    func createInvoiceRequest(amountSats: Int64, memo: String, expirySeconds: Int64) -> HTTPRequest {
        request(
            method: "POST", path: "/api/v1/payments",
            body: ["out": false, "amount": .int(amountSats), "memo": .string(memo), "expiry": .int(expirySeconds)])
    }

    func payRequest(_ bolt11: String) -> HTTPRequest {
        request(method: "POST", path: "/api/v1/payments", body: ["out": true, "bolt11": .string(bolt11)])
    }

    func listPaymentsRequest(hashes: [String]) -> HTTPRequest {
        // Hashes are checked hex, so only the brackets need escaping.
        let query = "payment_hash%5Bin%5D=" + hashes.joined(separator: ",") + "&limit=\(max(hashes.count, 1))"
        return request(method: "GET", path: "/api/v1/payments/paginated?" + query)
    }

    // MARK: Replies

    private func call(_ request: HTTPRequest) async throws(LNbitsError) -> JSONValue {
        let response: HTTPResponse
        do {
            response = try await http.send(request)
        } catch let error as HTTPTransportError {
            throw error.isTimeout ? .timeout : .transport(error.message)
        } catch {
            throw .transport("\(error)")
        }
        return try Self.interpret(response, scrubbing: apiKey)
    }

    /// Maps a response to its JSON body or to the error LNbits meant.
    static func interpret(_ response: HTTPResponse, scrubbing key: Secret) throws(LNbitsError) -> JSONValue {
        let json = try? JSONValue.parse(response.body)
        guard (200..<300).contains(response.status) else {
            // Most errors carry `detail`; the decoder's carry `message`.
            var detail =
                json?["detail"]?.stringValue ?? json?["detail"].map { $0.serialized() } ?? json?["message"]?.stringValue
                ?? response.bodyText
            detail = String(detail.prefix(300))
            let secret = key.reveal()
            if !secret.isEmpty { detail = detail.replacing(secret, with: "<redacted>") }
            switch response.status {
            case 401: throw .unauthorized(detail: detail)
            case 403: throw .forbidden(detail: detail)
            case 404 where detail.lowercased().contains("wallet not found"): throw .walletNotFound
            case 404: throw .notFound(detail: detail)
            case 429: throw .rateLimited(retryAfterSeconds: response.headers["retry-after"].flatMap { Int($0) })
            case 500...599: throw .server(status: response.status, detail: detail)
            default: throw .unexpectedStatus(status: response.status, detail: detail)
            }
        }
        guard let json else { throw .malformedReply("a \(response.status) answer that is not JSON") }
        return json
    }

    static func isPaymentHash(_ text: String) -> Bool {
        text.utf8.count == 64 && text.utf8.allSatisfy { (48...57).contains($0) || (97...102).contains($0) || (65...70).contains($0) }
    }
}
