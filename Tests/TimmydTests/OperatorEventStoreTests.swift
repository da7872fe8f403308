import Protocol
import Testing
@testable import timmyd

/// The outbox: events written with the transition that causes them, once-only checks, delivery bookkeeping.
@Suite struct OperatorEventStoreTests {
    let fixture: MigratedStore
    var store: JobStore { fixture.store }
    let events: OperatorEventStore

    init() throws {
        fixture = try MigratedStore()
        events = OperatorEventStore(database: fixture.database)
    }

    @Test func eachAlertingTransitionRecordsItsEventInTheSameTransaction() throws {
        let job = try fixture.failedPaidJob()
        _ = try #require(
            try store.startRefund(of: job.id, bolt11: "lnbc1refund", paymentHash: String(repeating: "ab", count: 32), amountSats: 50_000, actor: 0))
        _ = try #require(try store.reopenRefund(of: job.id, reason: "no route"))
        let late = try fixture.createJob()
        _ = try #require(try store.expireInvoice(of: late.id))
        _ = try #require(
            try store.holdLatePaymentForRefund(
                of: late.id, from: .expired, preimage: "00", actor: nil,
                failure: JobFailureText(publicMessage: "p", detail: "d")))
        // Transitions that need no operator: none.
        let fine = try fixture.createJob()
        _ = try #require(try store.cancelByBuyer(fine.id, actor: 1000))

        let recorded = try events.events(after: 0, limit: 100)
        #expect(recorded.map(\.kind) == ["job_failed", "refund_failed", "refund_needed"])
        #expect(recorded.map(\.jobID) == [job.id, job.id, late.id])
        #expect(recorded[0].summary.contains("provisioning failed at phase queued"))
        #expect(recorded[2].summary.contains("already expired"))
        #expect(recorded.allSatisfy { $0.delivery == "pending" && $0.attempts == 0 })
        // The kinds written by triggers are in the closed set.
        #expect(recorded.allSatisfy { OperatorEventKind(rawValue: $0.kind) != nil })
    }

    @Test func aRolledBackTransitionLeavesNoEvent() throws {
        let job = try fixture.provisioningJob()
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try store.database.transaction { tx in
                try JobStore.appendEvent(
                    tx, jobID: job.id, at: .now(), from: .provisioning, to: .failed, phase: nil, actor: nil, reason: "x")
                throw Abort()
            }
        }
        #expect(try events.events(after: 0, limit: 10).isEmpty)
    }

    @Test func onceKeyRecordsAConditionOnce() throws {
        #expect(try events.record(.upstreamDown, summary: "down", onceKey: "upstream_down:payments:1"))
        #expect(try !events.record(.upstreamDown, summary: "down", onceKey: "upstream_down:payments:1"))
        #expect(try events.record(.upstreamDown, summary: "down again", onceKey: "upstream_down:payments:2"))
        #expect(try events.events(after: 0, limit: 10).count == 2)
        #expect(try events.events(after: 1, limit: 10).map(\.summary) == ["down again"])
    }

    @Test func attemptsAreRecordedAndOnlyPendingEventsFallDue() throws {
        let now = Timestamp.now()
        try events.record(.reconcileOrphans, summary: "orphans", at: now)
        let event = try #require(try events.nextDue(now: now))
        try events.recordAttempt(eventID: event.id, at: now, status: 500, error: nil, then: .retry(at: now.adding(seconds: 5)))
        #expect(try events.nextDue(now: now) == nil)
        #expect(try events.nextDueTime() == now.adding(seconds: 5))
        let again = try #require(try events.nextDue(now: now.adding(seconds: 5)))
        #expect(again.attempts == 1 && again.lastStatus == 500)
        try events.recordAttempt(eventID: event.id, at: now.adding(seconds: 5), status: 204, error: nil, then: .delivered)
        #expect(try events.nextDue(now: now.adding(seconds: 3600)) == nil)
        let done = try #require(try events.events(after: 0, limit: 1).first)
        #expect(done.delivery == "delivered" && done.attempts == 2 && done.lastStatus == 204)
        #expect(try events.attempts(eventID: event.id).map(\.status) == [500, 204])
    }

    @Test func webhookBodyHasTheEventAndNoDeliveryBookkeeping() throws {
        let event = OperatorEvent(
            id: 7, kind: "job_failed", at: Timestamp(milliseconds: 0), jobID: "j", summary: "s", delivery: "pending",
            attempts: 2, lastStatus: 500, lastError: nil, finishedAt: nil)
        #expect(event.webhookJSON == ["id": 7, "kind": "job_failed", "at": "1970-01-01T00:00:00Z", "jobId": "j", "summary": "s", "source": "timmyd"])
        #expect(event.entry.delivery.attempts == 2)
    }
}
