import Foundation
import Protocol
import Testing

/// Finding: one refund invoice could settle two jobs. Job A refunded to an invoice;
/// job B asked for the same invoice, its payment "failed" (already paid), the check by
/// hash found A's payment, and B was marked refunded too, with one payment.
@Suite(.serialized)
struct RefundInvoiceReuseTests {
    static func refundedCount(_ daemon: DaemonHarness) throws -> Int64 {
        try daemon.call("admin.stats")["jobsByState"]?["refunded"]?.intValue ?? -1
    }

    @Test func theSameInvoiceForASecondJobIsRefused() throws {
        let daemon = try RefundTests.failingDaemon().start()
        let first = try RefundTests.paidFailedJob(daemon)
        let second = try RefundTests.paidFailedJob(daemon)
        let invoice = "lnstubrefund1000sat1shared"
        let paid = try JobStatus(json: try daemon.call("bootstrap.refund", RefundTests.refundParams(first, invoice)))
        #expect(paid.state == .refunded)

        let before = try daemon.events(second.jobId).count
        let refused = try daemon.callError("bootstrap.refund", RefundTests.refundParams(second, invoice))
        #expect(refused.reason == "invoice_already_used", "\(refused)")
        // The admin path meets the same rule; so does the same invoice spelled differently.
        let admin = try daemon.callError("admin.jobs.refund", AdminRefundParams(jobId: second.jobId, bolt11: invoice.uppercased()).json)
        #expect(admin.reason == "invoice_already_used", "\(admin)")
        #expect(try daemon.status(second).state == .failed)
        #expect(try daemon.events(second.jobId).count == before)
        #expect(try Self.refundedCount(daemon) == 1)

        // A new invoice of the buyer's own works.
        let own = try JobStatus(json: try daemon.call("bootstrap.refund", RefundTests.refundParams(second, "lnstubrefund1000sat1new")))
        #expect(own.state == .refunded)
        #expect(try Self.refundedCount(daemon) == 2)
    }

    @Test func concurrentRefundsOfTwoJobsToOneInvoicePayOnce() throws {
        let daemon = try RefundTests.failingDaemon().start()
        let jobs = try (0..<2).map { _ in try RefundTests.paidFailedJob(daemon) }
        let invoice = "lnstubrefund500sat1race"
        // Ten callers per job, all in flight before any reply is read.
        let clients = try (0..<20).map { _ in try daemon.client() }
        for (index, client) in clients.enumerated() {
            let params = RefundTests.refundParams(jobs[index % 2], invoice)
            let line = Array(JSONRPCRequest(method: "bootstrap.refund", params: params, id: .number(1)).json.serialized().utf8)
            try client.sendRaw(line + [10])
        }
        var successes = 0
        var reasons: [String] = []
        for client in clients {
            guard case .response(let response) = try ServerMessage(line: try #require(try client.readLine())) else { continue }
            switch response.outcome {
            case .success: successes += 1
            case .failure(let error): reasons.append(error.reason ?? "?")
            }
        }
        #expect(successes == 1)
        #expect(Set(reasons).isSubset(of: ["wrong_state", "invoice_already_used"]), "\(reasons)")
        #expect(reasons.contains("invoice_already_used"))
        let states = try jobs.map { try daemon.status($0).state }
        #expect(states.filter { $0 == .refunded }.count == 1, "\(states)")
        #expect(states.filter { $0 == .failed }.count == 1, "\(states)")
        #expect(try Self.refundedCount(daemon) == 1)
        daemon.expectAdminStillServed()
    }
}
