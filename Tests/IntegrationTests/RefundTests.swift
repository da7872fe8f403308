import Foundation
import Protocol
import Testing

/// Refunds through the real daemon with stub payments: a stub refund invoice is
/// `lnstubrefund<sats>sat…`, and paying it records an outgoing stub payment.
@Suite(.serialized)
struct RefundTests {
    /// A daemon whose stub provider fails, so every paid job ends `failed`.
    static func failingDaemon(_ extra: [String: String] = [:]) throws -> DaemonHarness {
        try DaemonHarness(
            environment: ["STUB_PROVISION_FAIL_AT": "volume_created", "STUB_PROVISION_DELAY_MS": "50"]
                .merging(extra) { _, new in new })
    }

    /// Creates a job, pays it and waits until provisioning failed.
    static func paidFailedJob(_ daemon: DaemonHarness) throws -> CreateJobResult {
        let job = try daemon.create()
        _ = try daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        try daemon.waitFor(job, state: .failed)
        return job
    }

    static func refundParams(_ job: CreateJobResult, _ bolt11: String) -> JSONValue {
        RefundParams(jobId: job.jobId, accessToken: job.accessToken, bolt11: bolt11).json
    }

    static func reasons(_ events: [JSONValue], prefix: String) -> [String] {
        events.compactMap { $0["reason"]?.stringValue }.filter { $0.hasPrefix(prefix) }
    }

    @Test func badInvoicesAreRefusedAndChangeNothing() throws {
        let daemon = try Self.failingDaemon().start()
        let job = try Self.paidFailedJob(daemon)
        let before = try daemon.events(job.jobId).count
        let price = job.invoice.amountSats
        for (bolt11, words) in [
            ("lnstubrefund\(price + 1)sat1", "at most \(price) sats"),
            ("lnstubrefund0sat1", "above zero"),
            ("lnbc1notastubinvoice", "not a stub refund invoice"),
            ("lnstub; rm -rf /", "letters and digits"),
            (job.invoice.paymentRequest, "not a stub refund invoice"),
        ] {
            let error = try daemon.callError("bootstrap.refund", Self.refundParams(job, bolt11))
            #expect(error.reason == "invalid_params", "\(bolt11): \(error)")
            #expect(error.message.contains(words), "\(bolt11): \(error.message)")
        }
        #expect(try daemon.status(job).state == .failed)
        #expect(try daemon.events(job.jobId).count == before)
    }

    @Test func wrongTokenUnknownJobAndUnfailedJobsAreRefused() throws {
        let daemon = try Self.failingDaemon().start()
        let failed = try Self.paidFailedJob(daemon)
        let wrongToken = RefundParams(jobId: failed.jobId, accessToken: "tat_wrong", bolt11: "lnstubrefund10sat1")
        #expect(try daemon.callError("bootstrap.refund", wrongToken.json).reason == "bad_token")
        let unknownJob = RefundParams(
            jobId: "00000000-0000-4000-8000-000000000000", accessToken: failed.accessToken, bolt11: "lnstubrefund10sat1")
        #expect(try daemon.callError("bootstrap.refund", unknownJob.json).reason == "not_found")
        let unknownAdmin = AdminRefundParams(jobId: unknownJob.jobId, bolt11: "lnstubrefund10sat1")
        #expect(try daemon.callError("admin.jobs.refund", unknownAdmin.json).reason == "not_found")
        #expect(try daemon.status(failed).state == .failed)

        let unpaid = try daemon.create()
        let error = try daemon.callError("bootstrap.refund", Self.refundParams(unpaid, "lnstubrefund10sat1"))
        #expect(error.reason == "wrong_state")
        #expect(error.message.contains("awaiting_payment"))
        #expect(try daemon.status(unpaid).state == .awaitingPayment)
    }

    @Test func twentyConcurrentRefundsPayOnceAndTheCLIReportsIt() throws {
        let daemon = try Self.failingDaemon().start()
        let job = try Self.paidFailedJob(daemon)
        let replies = try daemon.burst(count: 20, "bootstrap.refund", Self.refundParams(job, "lnstubrefund1200sat1burst"))
        let refunded = replies.compactMap { try? JobStatus(json: $0.outcome.get()) }
        let refusals = replies.compactMap { response -> String? in
            if case .failure(let error) = response.outcome { return error.reason }
            return nil
        }
        #expect(refunded.count == 1)
        #expect(refunded.first?.state == .refunded)
        #expect(refunded.first?.message.contains("1200 sats were refunded") == true)
        #expect(refusals.count == 19)
        #expect(Set(refusals) == ["wrong_state"])

        let events = try daemon.events(job.jobId)
        #expect(Self.reasons(events, prefix: "refund of 1200 sats started").count == 1)
        #expect(Self.reasons(events, prefix: "refund payment sent").count == 1)
        #expect(Self.reasons(events, prefix: "refund paid").count == 1)

        // Once refunded, the CLI says so and exits 1 with the reason.
        let again = try daemon.ctl("refund", job.jobId, "lnstubrefund5sat1again", "--token", job.accessToken)
        #expect(again.status == 1)
        #expect(again.stderr.contains("already refunded"))
    }

    @Test func timmyctlRefundsWithTheSavedTokenOrAsAdmin() throws {
        let daemon = try Self.failingDaemon().start()
        let new = try daemon.ctl("new", "--json")
        #expect(new.status == 0, "\(new.stderr)")
        let jobID = try #require(try JSONValue.parse(Array(new.stdout.utf8))["jobId"]?.stringValue)
        #expect(try daemon.ctl("simulate-payment", jobID).status == 0)
        let deadline = Date().addingTimeInterval(20)
        while try daemon.call("admin.jobs.get", ["jobId": .string(jobID)])["state"] != "failed", Date() < deadline {
            usleep(50_000)
        }
        let refund = try daemon.ctl("refund", jobID, "lnstubrefund700sat1cli\n")
        #expect(refund.status == 0, "\(refund.stderr)")
        #expect(refund.stdout.contains("refunded"))

        // An admin refunds a job whose token it does not have.
        let other = try Self.paidFailedJob(daemon)
        let admin = try daemon.ctl("refund", other.jobId, "lightning:LNSTUBREFUND300SAT1ADMIN", "--admin", "--json")
        #expect(admin.status == 0, "\(admin.stderr)")
        #expect(try JSONValue.parse(Array(admin.stdout.utf8))["state"] == "refunded")
        let events = try daemon.events(other.jobId)
        let started = try #require(events.first { $0["reason"]?.stringValue?.hasPrefix("refund of 300 sats") == true })
        #expect(started["actorUid"] == .int(Int64(getuid())))
    }

    @Test func crashRightAfterTheRefundWasSentFinishesOnRestartWithoutPayingAgain() throws {
        let daemon = try Self.failingDaemon(["TIMMY_FAULT_CRASH_AFTER_REFUND_SENT": "1"]).start()
        let job = try Self.paidFailedJob(daemon)
        // The daemon kills itself after paying and before recording it: the call gets no answer.
        #expect(throws: (any Error).self) {
            _ = try daemon.call("bootstrap.refund", Self.refundParams(job, "lnstubrefund900sat1crash"))
        }
        #expect(daemon.waitForExit(timeout: 10) == SIGKILL)
        daemon.environment["TIMMY_FAULT_CRASH_AFTER_REFUND_SENT"] = nil
        try daemon.start()
        let status = try daemon.status(job)
        #expect(status.state == .refunded)
        let events = try daemon.events(job.jobId)
        #expect(Self.reasons(events, prefix: "refund payment sent").count == 1)
        #expect(Self.reasons(events, prefix: "refund payment confirmed by the backend").count == 1)
    }

    @Test func latePaymentUnderTheRefundPolicyBuildsNothingAndIsRefundable() throws {
        let daemon = try DaemonHarness(environment: ["LATE_PAYMENT_POLICY": "refund", "INVOICE_EXPIRY_SECONDS": "1"])
            .start()
        #expect(try daemon.call("daemon.info")["latePaymentPolicy"] == "refund")
        let job = try daemon.create()
        try daemon.waitFor(job, state: .expired, timeout: 10)
        _ = try daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        let status = try daemon.waitFor(job, state: .failed, timeout: 10)
        #expect(status.error?.contains("after the invoice expired") == true)
        #expect(try daemon.events(job.jobId).allSatisfy { $0["phase"] == nil || $0["phase"] == .null })
        let refunded = try JobStatus(json: try daemon.call("bootstrap.refund", Self.refundParams(job, "lnstubrefund50000sat1late")))
        #expect(refunded.state == .refunded)
    }

    @Test func unknownLatePaymentPolicyStopsTheDaemon() throws {
        let daemon = try DaemonHarness(environment: ["LATE_PAYMENT_POLICY": "keep"])
        let result = try runProgram(
            Binaries.timmyd, ["--socket", daemon.socketPath, "--state-dir", daemon.stateDirectory],
            environment: daemon.environment)
        #expect(result.status == 78)
        #expect(result.stderr.contains("LATE_PAYMENT_POLICY must be provision or refund"))
    }
}
