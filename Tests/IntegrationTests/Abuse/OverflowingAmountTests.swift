import Foundation
import Protocol
import Testing

/// Finding: `lnstubrefund9223372036854775807sat…` killed the daemon (sats × 1000
/// overflowed and Swift trapped). Amounts, expiries and sizes from outside now use
/// checked arithmetic: such input gets a clear error and the daemon lives.
@Suite(.serialized)
struct OverflowingAmountTests {
    static let hugeInvoices = [
        "lnstubrefund9223372036854775807sat1overflow",  // Int64.max sats
        "lnstubrefund9223372036854776sat1overflow",  // just over Int64.max msat
        "lnstubrefund99999999999999999999999999sat1",  // not even an Int64
    ]

    @Test func hugeRefundInvoiceIsRefusedOverBothFramingsAndTheDaemonLives() throws {
        let daemon = try RefundTests.failingDaemon().start()
        let job = try RefundTests.paidFailedJob(daemon)
        for bolt11 in Self.hugeInvoices {
            let error = try daemon.callError("bootstrap.refund", RefundTests.refundParams(job, bolt11))
            #expect(error.reason == "invalid_params", "\(bolt11): \(error)")
            #expect(error.message.contains("more sats than any payment can carry") || error.message.contains("at most"), "\(error.message)")
            let admin = try daemon.callError("admin.jobs.refund", AdminRefundParams(jobId: job.jobId, bolt11: bolt11).json)
            #expect(admin.reason == "invalid_params", "\(bolt11): \(admin)")
            let http = try daemon.http(
                "POST", "/api/bootstrap/\(job.jobId)/refund", token: job.accessToken, body: #"{"bolt11":"\#(bolt11)"}"#)
            #expect(http.status == 400, "\(bolt11): \(http.status) \(http.body)")
            #expect(http.errorReason == "invalid_params")
        }
        // Nothing moved, and a sane refund still works.
        #expect(try daemon.status(job).state == .failed)
        let refunded = try JobStatus(json: try daemon.call("bootstrap.refund", RefundTests.refundParams(job, "lnstubrefund10sat1ok")))
        #expect(refunded.state == .refunded)
        daemon.expectAdminStillServed()
        daemon.expectResidentAtMost(256)
    }

    @Test(arguments: [
        ("BOOTSTRAP_FEE_SATS", "9223372036854775807"), ("BOOTSTRAP_FEE_SATS", "99999999999999999999"),
        ("INVOICE_EXPIRY_SECONDS", "9223372036854775807"), ("DO_VOLUME_SIZE_GB", "9223372036854775807"),
        ("LATE_PAYMENT_GRACE_SECONDS", "9223372036854775807"), ("KEY_RETENTION_DAYS", "9223372036854775807"),
        ("PAYMENT_POLL_INTERVAL_MS", "9223372036854775807"), ("STUB_PROVISION_DELAY_MS", "-9223372036854775808"),
        ("HTTP_REQUEST_TIMEOUT_SECONDS", "9223372036854775807"), ("MAX_REQUEST_BYTES", "9223372036854775807"),
    ])
    func hugeConfigurationValuesStopTheDaemonWithExit78(_ name: String, _ value: String) throws {
        let daemon = try DaemonHarness(environment: [name: value])
        let result = try runProgram(
            Binaries.timmyd, ["--socket", daemon.socketPath, "--state-dir", daemon.stateDirectory],
            environment: daemon.environment)
        #expect(result.status == 78, "\(name)=\(value): \(result.stderr)")
        #expect(result.stderr.contains(name))
    }
}
