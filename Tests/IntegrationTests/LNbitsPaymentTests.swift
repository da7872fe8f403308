import Foundation
import Protocol
import Testing

/// The real daemon against a real LNbits 1.6.2 (FakeWallet), paid from a second
/// wallet of the same LNbits. Skipped only when lnbits cannot be installed here.
@Suite(.serialized)
struct LNbitsPaymentTests {
    static func daemon(_ lnbits: LNbitsServer, _ extra: [String: String] = [:]) throws -> DaemonHarness {
        try DaemonHarness(
            environment: [
                "LNBITS_URL": lnbits.url, "LNBITS_API_KEY": lnbits.invoiceKey, "BOOTSTRAP_FEE_SATS": "2100",
                "STUB_PROVISION_DELAY_MS": "300", "PAYMENT_POLL_INTERVAL_MS": "200",
            ].merging(extra) { _, new in new })
    }

    @Test func paidInvoiceIsNoticedWithoutPollingAndTheNodeIsDelivered() throws {
        let lnbits = try LNbitsServer.startOrSkip()
        defer { lnbits.stop() }
        let daemon = try Self.daemon(lnbits).start()
        let info = try daemon.call("daemon.info")
        #expect(info["payments"]?["mode"] == "real")
        #expect(info["payments"]?["health"] == "ok")
        #expect(!(info.serialized().contains(lnbits.invoiceKey)))

        let job = try daemon.create(["label": "lnbits"])
        #expect(job.invoice.paymentRequest.hasPrefix("lnbc"))
        #expect(job.invoice.amountSats == 2100)
        let simulated = try daemon.callError("admin.payments.simulate", ["jobId": .string(job.jobId)])
        #expect(simulated.reason == "stub_only")
        let watcher = try daemon.client()
        let first = try JobStatus(json: try watcher.call("bootstrap.watch", daemon.credentials(job)))
        #expect(first.state == .awaitingPayment)

        let paid = try lnbits.pay(job.invoice.paymentRequest)
        #expect(paid.status == 0, "\(paid.stderr)")
        #expect(paid.stdout.contains("PAY_RESULT=paid"))
        #expect(paid.stdout.contains("PAYMENT_HASH=\(job.invoice.paymentHash)"))

        // Nobody calls bootstrap.status: the daemon's own watcher must notice the payment.
        var seen: [JobStatus] = []
        while let notification = try watcher.nextNotification() {
            seen.append(try JobStatus(json: try #require(notification.params)))
            if seen.last?.state.isSettled == true { break }
        }
        #expect(seen.contains { $0.state == .provisioning })
        #expect(seen.last?.state == .ready, "\(daemon.log_())")

        let key = try ClaimKeyResult(json: try daemon.call("bootstrap.claimKey", daemon.credentials(job)))
        #expect(key.sshPrivateKey.hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----"))
        #expect(!daemon.log_().contains(lnbits.invoiceKey))
    }

    @Test func wrongKeyStopsTheDaemonNamingTheVariableNotTheKey() throws {
        let lnbits = try LNbitsServer.startOrSkip()
        defer { lnbits.stop() }
        let daemon = try DaemonHarness()
        let wrongKey = "0123456789abcdef0123456789abcdef"
        let result = try runProgram(
            Binaries.timmyd, ["--socket", daemon.socketPath, "--state-dir", daemon.stateDirectory],
            environment: ["LNBITS_URL": lnbits.url, "LNBITS_API_KEY": wrongKey])
        #expect(result.status == 78)
        #expect(result.stderr.contains("LNBITS_API_KEY"), "\(result.stderr)")
        #expect(!result.stderr.contains(wrongKey))
        #expect(!result.stdout.contains(wrongKey))
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
    }

    @Test func lnbitsDownRefusesNewJobsAndShowsUnhealthyThenRecovers() throws {
        let lnbits = try LNbitsServer.startOrSkip()
        defer { lnbits.stop() }
        let daemon = try Self.daemon(lnbits).start()
        let open = try daemon.create()

        lnbits.stop()
        let refused = try daemon.callError("bootstrap.create")
        #expect(refused.reason == "upstream_unavailable")
        #expect(try daemon.call("admin.jobs.list")["jobs"]?.arrayValue?.count == 1, "no job row for a refused purchase")
        let info = try daemon.call("daemon.info")
        #expect(info["payments"]?["health"] == "degraded")
        #expect(info["payments"]?["lastError"]?.stringValue?.isEmpty == false)
        // The watcher keeps failing rounds while LNbits is away; that never expires or pays the open job.
        usleep(600_000)
        #expect(try daemon.status(open).state == .awaitingPayment)
        #expect(try daemon.call("daemon.info")["payments"]?["health"] == "degraded")

        // A fresh LNbits has fresh wallets, so the daemon restarts with the new key.
        try lnbits.start()
        #expect(daemon.stop() == 0)
        daemon.environment["LNBITS_API_KEY"] = lnbits.invoiceKey
        try daemon.start()
        let job = try daemon.create()
        // Watch before paying, so no change can come before the watch.
        let watcher = try daemon.client()
        let first = try JobStatus(json: try watcher.call("bootstrap.watch", daemon.credentials(job)))
        #expect(first.state == .awaitingPayment)
        let paid = try lnbits.pay(job.invoice.paymentRequest)
        #expect(paid.status == 0, "\(paid.stderr)")
        var last: JobStatus?
        while let notification = try watcher.nextNotification() {
            last = try JobStatus(json: try #require(notification.params))
            if last?.state.isSettled == true { break }
        }
        #expect(last?.state == .ready)
        #expect(try daemon.call("daemon.info")["payments"]?["health"] == "ok")
        #expect(try daemon.status(open).state == .awaitingPayment)
    }
}
