import Foundation
import Protocol
import Testing

/// Finding: a paid invoice whose report failed verification (amount or preimage) left
/// the job in `awaiting_payment`, where the buyer could cancel it as "nothing was
/// charged". It now fails with `payment_unverified`, for an admin to check and refund.
@Suite(.serialized)
struct UnverifiedPaymentTests {
    @Test(arguments: ["wrong_amount", "wrong_preimage"])
    func refusedPaymentFailsTheJobForAnAdminToRefund(_ fault: String) throws {
        let daemon = try DaemonHarness(environment: ["TIMMY_FAULT_STUB_PAYMENT_REPORT": fault]).start()
        let job = try daemon.create()
        _ = try daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        let status = try daemon.waitFor(job, state: .failed, timeout: 10)
        #expect(status.message.contains("could not be verified"))

        let admin = try daemon.call("admin.jobs.get", ["jobId": .string(job.jobId)])
        #expect(admin["errorReason"] == "payment_unverified")
        #expect(admin["paidAt"]?.stringValue != nil)
        #expect(admin["errorDetail"]?.stringValue?.hasPrefix("payment_unverified:") == true)
        // Not counted as money taken.
        #expect(try daemon.call("admin.stats")["paidJobs"] == 0)
        let events = try daemon.events(job.jobId)
        #expect(events.contains { $0["to"] == "failed" && $0["reason"]?.stringValue?.hasPrefix("payment report refused") == true })

        // Not "nothing was charged": the buyer can neither cancel it nor name a refund amount.
        let cancel = try daemon.callError("bootstrap.cancel", daemon.credentials(job))
        #expect(cancel.reason == "wrong_state")
        let buyerRefund = try daemon.callError("bootstrap.refund", RefundTests.refundParams(job, "lnstubrefund50000sat1mine"))
        #expect(buyerRefund.reason == "wrong_state")
        #expect(buyerRefund.message.contains("could not be verified"))
        #expect(try daemon.status(job).state == .failed)

        // The operator refunds it.
        let refunded = try daemon.call("admin.jobs.refund", AdminRefundParams(jobId: job.jobId, bolt11: "lnstubrefund50000sat1op").json)
        #expect(refunded["state"] == "refunded")
        daemon.expectAdminStillServed()
    }
}
