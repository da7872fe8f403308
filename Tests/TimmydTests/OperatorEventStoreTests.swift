import Protocol
import Testing
@testable import timmyd

/// The outbox: events written with the transition that causes them, once-only checks, delivery bookkeeping.
@Suite struct OperatorEventStoreTests {
    let directory: TemporaryDirectory
    let store: JobStore
    let events: OperatorEventStore

    init() throws {
        directory = try TemporaryDirectory()
        let database = try SQLiteDatabase(path: directory.file("jobs.db"))
        _ = try Migrator.migrate(database, Schema.migrations)
        store = JobStore(database: database, changes: JobChangeNotifier())
        events = OperatorEventStore(database: database)
    }

    private func insertJob() throws -> JobRecord {
        let id = JobIdentifier.make()
        return try store.insert(
            NewJob(
                id: id, label: "test", plan: NodePlan(region: "nyc3", size: "s-1", image: "img", volumeSizeGB: 0),
                amountSats: 50_000, paymentHash: SHA256Digest.hex(Array(id.utf8)), paymentRequest: "lnbc500u1\(id)",
                invoiceExpiresAt: Timestamp.now().adding(seconds: 3600), accessTokenHash: SHA256Digest.hex([1, 2, 3]),
                sshKeyAlgorithm: "ed25519", buyerPublicKey: nil),
            actor: 1000)
    }

    private func failedPaidJob() throws -> JobRecord {
        let job = try insertJob()
        _ = try #require(try store.apply(.paymentConfirmed, to: job.id, from: .awaitingPayment, actor: nil, reason: "paid", phase: .queued))
        return try #require(try store.apply(.provisioningFailed, to: job.id, from: .provisioning, actor: nil, reason: "boom"))
    }

    @Test func eachAlertingTransitionRecordsItsEventInTheSameTransaction() throws {
        let job = try failedPaidJob()
        _ = try #require(try store.apply(.refundStarted, to: job.id, from: .failed, actor: 0, reason: "refund"))
        _ = try #require(try store.apply(.refundFailed, to: job.id, from: .refunding, actor: nil, reason: "no route"))
        let late = try insertJob()
        _ = try #require(try store.apply(.invoiceExpired, to: late.id, from: .awaitingPayment, actor: nil, reason: "expired"))
        _ = try #require(try store.apply(.latePaymentRefundable, to: late.id, from: .expired, actor: nil, reason: "late"))
        // Transitions that need no operator: none.
        let fine = try insertJob()
        _ = try #require(try store.apply(.cancelledByBuyer, to: fine.id, from: .awaitingPayment, actor: 1000, reason: "bye"))

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
        let job = try insertJob()
        _ = try #require(try store.apply(.paymentConfirmed, to: job.id, from: .awaitingPayment, actor: nil, reason: "paid", phase: .queued))
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
        #expect(event.adminJSON["delivery"]?["attempts"] == 2)
    }
}
