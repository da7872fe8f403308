import Foundation
import Protocol
import Testing

/// Refunds and late payments through a real LNbits 1.6.2: the payer wallet pays the
/// job's invoice, the stub provider fails, and the refund lands in the payer's wallet.
@Suite(.serialized)
struct LNbitsRefundTests {
    static let price = 2100

    static func daemon(_ lnbits: LNbitsServer, _ extra: [String: String] = [:]) throws -> DaemonHarness {
        try DaemonHarness(
            environment: [
                "LNBITS_URL": lnbits.url, "LNBITS_API_KEY": lnbits.invoiceKey, "LNBITS_ADMIN_KEY": lnbits.adminKey,
                "BOOTSTRAP_FEE_SATS": String(price), "STUB_PROVISION_FAIL_AT": "volume_created",
                "STUB_PROVISION_DELAY_MS": "50", "PAYMENT_POLL_INTERVAL_MS": "200",
            ].merging(extra) { _, new in new })
    }

    /// A job paid through LNbits whose provisioning then failed.
    static func paidFailedJob(_ daemon: DaemonHarness, _ lnbits: LNbitsServer) throws -> CreateJobResult {
        let job = try daemon.create()
        let paid = try lnbits.pay(job.invoice.paymentRequest)
        #expect(paid.status == 0, "\(paid.stderr)")
        try daemon.waitFor(job, state: .failed)
        return job
    }

    static func refund(_ job: CreateJobResult, _ bolt11: String) -> JSONValue {
        RefundParams(jobId: job.jobId, accessToken: job.accessToken, bolt11: bolt11).json
    }

    @Test func refundReachesThePayerExactlyOnceWithTwentyConcurrentCalls() throws {
        let lnbits = try LNbitsServer.startOrSkip()
        defer { lnbits.stop() }
        let daemon = try Self.daemon(lnbits).start()
        #expect(try daemon.call("daemon.info")["refunds"]?["available"] == true)
        let job = try Self.paidFailedJob(daemon, lnbits)

        // Invoices that must be refused, each changing nothing.
        let tooBig = try lnbits.payerInvoice(sats: Self.price + 1).bolt11
        let expiring = try lnbits.payerInvoice(sats: 100, expirySeconds: 30).bolt11
        let ours = try daemon.create().invoice.paymentRequest
        for (bolt11, words) in [
            (tooBig, "at most \(Self.price) sats"), (expiring, "expire"), (ours, "invoice of this service"),
            ("lnbc1qqqqqqqq", "not a valid Lightning invoice"),
        ] {
            let error = try daemon.callError("bootstrap.refund", Self.refund(job, bolt11))
            #expect(error.message.contains(words), "\(error.message)")
        }
        #expect(try daemon.status(job).state == .failed)

        let before = try lnbits.payerBalanceMsat()
        let invoice = try lnbits.payerInvoice(sats: 1500)
        let replies = try daemon.burst(count: 20, "bootstrap.refund", Self.refund(job, invoice.bolt11))
        let successes = replies.compactMap { try? JobStatus(json: $0.outcome.get()) }
        #expect(successes.count == 1)
        #expect(successes.first?.state == .refunded)
        #expect(replies.count - successes.count == 19)
        #expect(try lnbits.payerBalanceMsat() - before == 1_500_000)

        let detail = try daemon.call("admin.jobs.get", ["jobId": .string(job.jobId)])
        #expect(detail["refundPaymentHash"]?.stringValue == invoice.paymentHash)
        #expect(detail["refundAmountSats"] == 1500)
        let log = daemon.log_()
        #expect(!log.contains(lnbits.adminKey) && !log.contains(lnbits.invoiceKey))
    }

    @Test func crashRightAfterTheRefundWasSentIsSettledOnRestartWithoutPayingTwice() throws {
        let lnbits = try LNbitsServer.startOrSkip()
        defer { lnbits.stop() }
        let daemon = try Self.daemon(lnbits, ["TIMMY_FAULT_CRASH_AFTER_REFUND_SENT": "1"]).start()
        let job = try Self.paidFailedJob(daemon, lnbits)
        let before = try lnbits.payerBalanceMsat()
        let invoice = try lnbits.payerInvoice(sats: 2100)
        #expect(throws: (any Error).self) { _ = try daemon.call("bootstrap.refund", Self.refund(job, invoice.bolt11)) }
        #expect(daemon.waitForExit(timeout: 10) == SIGKILL)
        #expect(try lnbits.payerBalanceMsat() - before == 2_100_000, "the payment left before the crash")

        daemon.environment["TIMMY_FAULT_CRASH_AFTER_REFUND_SENT"] = nil
        try daemon.start()
        #expect(try daemon.status(job).state == .refunded)
        let reasons = try daemon.events(job.jobId).compactMap { $0["reason"]?.stringValue }
        #expect(reasons.filter { $0 == "refund payment sent" }.count == 1)
        #expect(reasons.contains("refund payment confirmed by the backend"))
        #expect(try lnbits.payerBalanceMsat() - before == 2_100_000, "paid exactly once")
    }

    @Test func refundsNeedTheAdminKeyAndAnInvoiceKeyIsNotOne() throws {
        let lnbits = try LNbitsServer.startOrSkip()
        defer { lnbits.stop() }
        let daemon = try Self.daemon(lnbits, ["LNBITS_ADMIN_KEY": ""]).start()
        let info = try daemon.call("daemon.info")
        #expect(info["refunds"]?["available"] == false)
        #expect(info["refunds"]?["reason"]?.stringValue?.contains("LNBITS_ADMIN_KEY") == true)
        let job = try Self.paidFailedJob(daemon, lnbits)
        let error = try daemon.callError("bootstrap.refund", Self.refund(job, try lnbits.payerInvoice(sats: 10).bolt11))
        #expect(error.reason == "refunds_disabled")
        #expect(try daemon.status(job).state == .failed)
        #expect(daemon.stop() == 0)

        // The invoice key given as the admin key: refused at start-up, naming the variable only.
        let result = try runProgram(
            Binaries.timmyd, ["--socket", daemon.socketPath, "--state-dir", daemon.stateDirectory],
            environment: daemon.environment.merging(["LNBITS_ADMIN_KEY": lnbits.invoiceKey]) { _, new in new })
        #expect(result.status == 78)
        #expect(result.stderr.contains("LNBITS_ADMIN_KEY is an invoice key"), "\(result.stderr)")
        #expect(!result.stderr.contains(lnbits.invoiceKey))
    }

    @Test func aPaymentAfterExpiryStillBuildsTheNode() throws {
        let lnbits = try LNbitsServer.startOrSkip()
        defer { lnbits.stop() }
        let daemon = try Self.daemon(lnbits, ["STUB_PROVISION_FAIL_AT": "", "INVOICE_EXPIRY_SECONDS": "2"]).start()
        let job = try daemon.create()
        try daemon.waitFor(job, state: .expired, timeout: 15)
        // LNbits enforces expiry lazily, so the payer can still pay it: the payment must not be lost.
        let paid = try lnbits.pay(job.invoice.paymentRequest)
        #expect(paid.status == 0, "\(paid.stderr)")
        try daemon.waitFor(job, state: .ready, timeout: 20)
        let reasons = try daemon.events(job.jobId).compactMap { $0["reason"]?.stringValue }
        #expect(reasons.contains { $0.hasPrefix("late payment confirmed (after expired)") })
    }
}
