import Foundation
import NIOPosix
import Protocol
import Testing

@testable import timmyd

/// The LNbits client and backend against a loopback fake that answers the way
/// LNbits 1.6.2 does (status codes, `detail` bodies, msat amounts).
@Suite(.serialized) struct LNbitsClientTests {
    static let paidHash = "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925"  // sha256(32 zero bytes)
    static let pendingHash = "72cd6e8422c407fb6d098690f1130b7ded7ec2f7f5e1d30bd9d521f015363793"
    static let failedHash = String(repeating: "ab", count: 32)
    static let outgoingHash = String(repeating: "cd", count: 32)
    static let lyingHash = String(repeating: "ef", count: 32)  // "success" in the listing, unpaid on the status call
    static let unknownHash = String(repeating: "01", count: 32)
    static let goodKey = "invoicekey0123456789"
    static let adminKey = "adminkey0123456789"

    static let serverScript = #"""
    import http.server, json, sys, time, threading, os
    from urllib.parse import urlsplit, parse_qs
    GOOD = "invoicekey0123456789"
    ADMIN = "adminkey0123456789"
    ZERO = "00" * 32
    ROWS = [
        {"payment_hash": "66687aadf862bd776c8fc18b8e9f8e20089714856ee233b3902a591d0d5f2925", "amount": 21000, "status": "success", "preimage": ZERO},
        {"payment_hash": "72cd6e8422c407fb6d098690f1130b7ded7ec2f7f5e1d30bd9d521f015363793", "amount": 21000, "status": "pending", "preimage": "11" * 32},
        {"payment_hash": "ab" * 32, "amount": 21000, "status": "failed", "preimage": None},
        {"payment_hash": "cd" * 32, "amount": -21000, "status": "success", "preimage": ZERO},
        {"payment_hash": "ef" * 32, "amount": 21000, "status": "success", "preimage": ZERO},
    ]
    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def reply(self, code, obj, headers=()):
            body = json.dumps(obj).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            for k, v in headers: self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def keycheck(self):
            key = self.headers.get("X-Api-Key")
            if key is None: return self.reply(401, {"detail": "No Api Key provided."}) or False
            if key == "boom": return self.reply(500, {"detail": "database is locked"}) or False
            if key == "limited": return self.reply(429, {"detail": "Rate limit exceeded: 200 per 1 minute"}, [("Retry-After", "12")]) or False
            if key == "slow": time.sleep(3)
            if key == "admin-only": return self.reply(403, {"detail": "Invoice (or Admin) key required."}) or False
            if key.startswith("leaky"): return self.reply(520, {"detail": "cannot use key " + key}) or False
            if key not in (GOOD, ADMIN, "ignores-filters", "slow"): return self.reply(404, {"detail": "Wallet not found."}) or False
            return True
        def do_GET(self):
            if not self.keycheck(): return
            url = urlsplit(self.path)
            if url.path == "/api/v1/wallet":
                wallet = {"name": "shop", "balance": 5000}
                if self.headers.get("X-Api-Key") == ADMIN: wallet["id"] = "w1"  # only an admin key sees the id
                return self.reply(200, wallet)
            if url.path == "/api/v1/payments/paginated":
                q = parse_qs(url.query)
                rows = ROWS
                if "payment_hash[in]" in q and self.headers.get("X-Api-Key") != "ignores-filters":
                    wanted = q["payment_hash[in]"][0].split(",")
                    rows = [r for r in ROWS if r["payment_hash"] in wanted]
                rows = rows[: int(q.get("limit", ["10"])[0])]
                return self.reply(200, {"data": rows, "total": len(rows)})
            if url.path.startswith("/api/v1/payments/"):
                h = url.path.rsplit("/", 1)[1]
                row = next((r for r in ROWS if r["payment_hash"] == h), None)
                if row is None: return self.reply(404, {"detail": "Payment does not exist."})
                paid = row["status"] == "success" and h != "ef" * 32
                return self.reply(200, {"paid": paid, "status": row["status"] if not paid else "success",
                                        "preimage": row["preimage"], "details": {"status": "success" if paid else "pending", "amount": row["amount"]}})
            self.reply(404, {"detail": "Not Found"})
        def do_POST(self):
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length) or b"{}")
            if not self.keycheck(): return
            if self.path == "/api/v1/payments/decode":
                if body.get("data") == "lnbcgood":
                    return self.reply(200, {"payment_hash": "cd" * 32, "amount_msat": 21000, "date": 1700000000, "expiry": 600})
                if body.get("data") == "lnbcnoamount":
                    return self.reply(200, {"payment_hash": "cd" * 32, "date": 1700000000})
                return self.reply(400, {"message": "Failed to decode: Bech32 string is not valid."})
            if self.path != "/api/v1/payments": return self.reply(404, {"detail": "Not Found"})
            if body.get("out", True) is not False:
                if self.headers.get("X-Api-Key") != ADMIN: return self.reply(403, {"detail": "Invoice (or Admin) key required."})
                outcome = {"lnbcpaid": (201, "success"), "lnbcpending": (201, "pending")}.get(body.get("bolt11"))
                if outcome is None: return self.reply(520, {"detail": "Insufficient balance.", "status": "failed"})
                return self.reply(outcome[0], {"payment_hash": "cd" * 32, "status": outcome[1], "amount": -21000})
            if "amount" not in body: return self.reply(500, {"detail": "Missing amount"})
            amount = body["amount"]
            if amount <= 0: return self.reply(520, {"detail": "Amount must be greater than 0."})
            msat = amount if amount == 42 else amount * 1000  # 42: a reply in the wrong unit
            self.reply(201, {"payment_hash": "72cd6e8422c407fb6d098690f1130b7ded7ec2f7f5e1d30bd9d521f015363793",
                             "payment_request": "lnbc1fake" + str(amount), "amount": msat, "status": "pending",
                             "memo": body.get("memo"), "expiry": body.get("expiry")})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    print(server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # the test closed our stdin (or died): stop
    os._exit(0)
    """#

    let server: Process
    let serverInput = Pipe()
    let baseURL: String
    let pool: NIOThreadPool

    init() throws {
        server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-c", Self.serverScript]
        let output = Pipe()
        server.standardOutput = output
        server.standardInput = serverInput
        try server.run()
        let port = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        baseURL = "http://127.0.0.1:\(port)"
        HTTPClient.initializeLibrary()
        pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
    }

    func finish() {
        try? serverInput.fileHandleForWriting.close()
        server.waitUntilExit()
        try? pool.syncShutdownGracefully()
    }

    func client(_ key: String = Self.goodKey, timeoutMilliseconds: Int = 5_000) -> LNbitsClient {
        LNbitsClient(baseURL: baseURL + "/", apiKey: Secret(key), http: HTTPClient(threadPool: pool), timeoutMilliseconds: timeoutMilliseconds)
    }

    /// The error a call throws (nil if it did not throw an `LNbitsError`).
    func failure<T>(_ call: () async throws -> T) async -> LNbitsError? {
        do {
            _ = try await call()
            return nil
        } catch let error as LNbitsError {
            return error
        } catch {
            Issue.record("not an LNbitsError: \(error)")
            return nil
        }
    }

    // MARK: Request building

    @Test func requestsCarryTheKeyHeaderATimeoutAndAnInvoiceBody() throws {
        defer { finish() }
        let client = client()
        let create = client.createInvoiceRequest(amountSats: 21, memo: "timmyd node x", expirySeconds: 900)
        #expect(create.method == "POST")
        #expect(create.url == baseURL + "/api/v1/payments")
        #expect(create.headers.contains { $0.0 == "X-Api-Key" && $0.1 == Self.goodKey })
        #expect(create.timeoutMilliseconds == 5_000)
        let body = try JSONValue.parse(create.body ?? [])
        #expect(body == ["out": false, "amount": 21, "memo": "timmyd node x", "expiry": 900])

        let list = client.listPaymentsRequest(hashes: [Self.paidHash, Self.pendingHash])
        #expect(list.method == "GET")
        #expect(list.url == baseURL + "/api/v1/payments/paginated?payment_hash%5Bin%5D=\(Self.paidHash),\(Self.pendingHash)&limit=2")
    }

    // MARK: Replies

    @Test func walletAndInvoiceReplies() async throws {
        defer { finish() }
        let wallet = try await client().wallet()
        #expect(wallet == LNbitsWallet(id: nil, name: "shop", balanceMsat: 5000))
        let invoice = try await client().createInvoice(amountSats: 21, memo: "m", expirySeconds: 60)
        #expect(invoice.amountMsat == 21_000)
        #expect(invoice.paymentHash == Self.pendingHash)
        #expect(invoice.paymentRequest == "lnbc1fake21")
    }

    @Test func paymentStatusAndListing() async throws {
        defer { finish() }
        let paid = try await client().payment(Self.paidHash)
        #expect(paid.paid && paid.preimage == String(repeating: "00", count: 32))
        let pending = try await client().payment(Self.pendingHash)
        #expect(!pending.paid)  // FakeWallet shows a preimage on unpaid invoices: still unpaid
        let rows = try await client().listPayments(hashes: [Self.paidHash, Self.failedHash, Self.unknownHash])
        #expect(Set(rows.map(\.paymentHash)) == [Self.paidHash, Self.failedHash])
    }

    @Test func listingThatIgnoresTheFilterIsRefused() async throws {
        defer { finish() }
        let error = await failure { try await client("ignores-filters").listPayments(hashes: [Self.failedHash]) }
        guard case .malformedReply = error else { Issue.record("expected malformedReply, got \(String(describing: error))"); return }
    }

    @Test func errorCodesMapToTypedErrors() async throws {
        defer { finish() }
        // 404 Wallet not found: LNbits' answer to an unknown key.
        #expect(await failure { try await client("wrong-key-123").wallet() } == .walletNotFound)
        // 401: no key at all.
        var noKey = client().request(method: "GET", path: "/api/v1/wallet")
        noKey.headers.removeAll { $0.0 == "X-Api-Key" }
        let response = try await HTTPClient(threadPool: pool).send(noKey)
        #expect(throws: LNbitsError.unauthorized(detail: "No Api Key provided.")) {
            try LNbitsClient.interpret(response, scrubbing: Secret("k"))
        }
        // 403: a key without the right.
        #expect(await failure { try await client("admin-only").createInvoice(amountSats: 1, memo: "", expirySeconds: 60) }
            == .forbidden(detail: "Invoice (or Admin) key required."))
        // 404 for an unknown payment hash.
        #expect(await failure { try await client().payment(Self.unknownHash) } == .notFound(detail: "Payment does not exist."))
        // 429 with Retry-After.
        #expect(await failure { try await client("limited").wallet() } == .rateLimited(retryAfterSeconds: 12))
        // 500 and 520 keep LNbits' detail.
        #expect(await failure { try await client("boom").wallet() } == .server(status: 500, detail: "database is locked"))
        #expect(await failure { try await client().createInvoice(amountSats: 0, memo: "", expirySeconds: 60) }
            == .server(status: 520, detail: "Amount must be greater than 0."))
        // Timeout and refused connection.
        #expect(await failure { try await client("slow", timeoutMilliseconds: 300).wallet() } == .timeout)
        let closed = LNbitsClient(baseURL: "http://127.0.0.1:1", apiKey: Secret("k"), http: HTTPClient(threadPool: pool))
        guard case .transport = await failure({ try await closed.wallet() }) else { Issue.record("expected a transport error"); return }
    }

    @Test func errorDescriptionsNeverContainTheKey() async throws {
        defer { finish() }
        let key = "leaky-0123456789abcdef"
        let error = await failure { try await client(key).wallet() }
        guard case .server(520, let detail) = error else { Issue.record("expected a 520, got \(String(describing: error))"); return }
        #expect(detail.contains("<redacted>"))
        #expect(!"\(error!)".contains(key))
        #expect(!"\(LNbitsError.walletNotFound)".contains(key))
    }

    // MARK: Backend

    @Test func backendChecksTheInvoiceAmountUnit() async throws {
        defer { finish() }
        let backend = LNbitsPaymentBackend(client: client())
        let invoice = try await backend.createInvoice(amountSats: 21, memo: "m", expirySeconds: 60)
        #expect(invoice.amountMsat == 21_000)
        await #expect(throws: UpstreamError.self) { try await backend.createInvoice(amountSats: 42, memo: "m", expirySeconds: 60) }
    }

    @Test func backendReportsOnlyConfirmedIncomingSuccess() async throws {
        defer { finish() }
        let backend = LNbitsPaymentBackend(client: client())
        let reports = try await backend.check(paymentHashes: [
            Self.paidHash, Self.pendingHash, Self.failedHash, Self.outgoingHash, Self.lyingHash, Self.unknownHash,
        ])
        #expect(reports[Self.paidHash] == .paid(preimage: String(repeating: "00", count: 32), amountMsat: 21_000))
        #expect(reports[Self.pendingHash] == .unpaid)
        #expect(reports[Self.failedHash] == .unpaid)
        #expect(reports[Self.outgoingHash] == nil)  // an outgoing row is never a payment to us
        #expect(reports[Self.lyingHash] == nil)  // the status call did not confirm it
        #expect(reports[Self.unknownHash] == nil)  // unknown this round
    }

    // MARK: Refunds

    @Test func refundPayerDecodesInvoicesAndRefusesBadOnes() async throws {
        defer { finish() }
        let payer = LNbitsRefundPayer(client: client(Self.adminKey))
        let decoded = try await payer.decode("lnbcgood")
        #expect(decoded == DecodedInvoice(
            paymentHash: Self.outgoingHash, amountMsat: 21_000, expiresAt: Timestamp(milliseconds: 1_700_000_600_000)))
        #expect(try await payer.decode("lnbcnoamount").amountMsat == nil)
        await #expect(throws: InvoiceRejected.self) { try await payer.decode("lnbcjunk") }
    }

    @Test func refundPayerTellsSuccessPendingAndRefusal() async throws {
        defer { finish() }
        let payer = LNbitsRefundPayer(client: client(Self.adminKey))
        #expect(try await payer.pay("lnbcpaid") == .succeeded)
        #expect(try await payer.pay("lnbcpending") == .pending)
        #expect(try await payer.pay("lnbcbroke") == .failed(reason: "Insufficient balance."))
        // An invoice key cannot pay: a typed error, not a refusal of this invoice.
        await #expect(throws: LNbitsError.forbidden(detail: "Invoice (or Admin) key required.")) {
            try await LNbitsRefundPayer(client: client()).pay("lnbcpaid")
        }
    }

    @Test func refundPayerLooksPaymentsUpByHash() async throws {
        defer { finish() }
        let payer = LNbitsRefundPayer(client: client(Self.adminKey))
        #expect(try await payer.outgoingPayment(paymentHash: Self.outgoingHash) == .succeeded)
        #expect(try await payer.outgoingPayment(paymentHash: Self.unknownHash) == .notFound)
        // An incoming row with that hash is one of our invoices, never a refund.
        #expect(try await payer.outgoingPayment(paymentHash: Self.paidHash) == .notFound)
        #expect(try await payer.isOwnInvoice(paymentHash: Self.paidHash))
        #expect(try await !payer.isOwnInvoice(paymentHash: Self.outgoingHash))
        #expect(try await !payer.isOwnInvoice(paymentHash: Self.unknownHash))
        await #expect(throws: LNbitsError.self) {
            try await LNbitsRefundPayer(client: client("boom")).outgoingPayment(paymentHash: Self.outgoingHash)
        }
    }

    @Test func adminKeyIsCheckedAtStartUpWithoutShowingIt() async throws {
        defer { finish() }
        _ = try await LNbitsRefundPayer.connect(client(Self.adminKey))
        for (key, words) in [(Self.goodKey, "invoice key"), ("wrong-key-123", "not accepted")] {
            do {
                _ = try await LNbitsRefundPayer.connect(client(key))
                Issue.record("\(key) was accepted as an admin key")
            } catch let error as ConfigurationError {
                #expect("\(error)".contains("LNBITS_ADMIN_KEY"))
                #expect("\(error)".contains(words))
                #expect(!"\(error)".contains(key))
            }
        }
        let down = try await LNbitsRefundPayer.connect(client("boom"))
        #expect(down.trouble == .server(status: 500, detail: "database is locked"))
    }

    @Test func backendThrowsUpstreamErrorsAndRejectsWrongKeysAtStartUp() async throws {
        defer { finish() }
        await #expect(throws: LNbitsError.self) {
            try await LNbitsPaymentBackend(client: client("boom")).check(paymentHashes: [Self.paidHash])
        }
        do {
            _ = try await LNbitsPaymentBackend.connect(client("wrong-key-123"))
            Issue.record("a wrong key was accepted")
        } catch let error as ConfigurationError {
            #expect("\(error)".contains("LNBITS_API_KEY"))
            #expect(!"\(error)".contains("wrong-key-123"))
        }
        let down = try await LNbitsPaymentBackend.connect(client("boom"))
        #expect(down.wallet == nil && down.trouble == .server(status: 500, detail: "database is locked"))
    }
}
