import Protocol
import Testing

@testable import timmyd

/// Each of the store's intents against a real migrated database: what it records when
/// the job is where the intent applies, and that it refuses (nil, nothing changed: no
/// column, no event, no stub invoice) from every other state.
@Suite struct JobStoreIntentTests {
    let fixture: MigratedStore
    var store: JobStore { fixture.store }

    init() throws { fixture = try MigratedStore() }

    // MARK: createJob: one transaction

    @Test func createJobKeepsTheStubInvoiceWithTheJob() throws {
        let id = JobIdentifier.make()
        let invoice = StubInvoiceRecord(
            paymentHash: SHA256Digest.hex(Array(id.utf8)), preimage: "11", amountMsat: 50_000_000, memo: "m",
            expiresAt: Timestamp.now().adding(seconds: 60))
        let job = try store.createJob(fixture.newJob(id: id, stubInvoice: invoice), actor: 1000)
        let stub = StubInvoiceStore(database: fixture.database)
        #expect(try stub.invoice(paymentHash: job.paymentHash) == StubInvoiceState(preimage: "11", amountMsat: 50_000_000, paid: false))
        #expect(try store.events(of: id).map(\.reason) == ["created"])
    }

    /// The old create wrote the stub invoice, then the job: a failure in between left an
    /// invoice with no job. Now a failure anywhere in the create leaves nothing at all.
    @Test func aCreateThatFailsAfterItsInvoiceLeavesNoHalfMadeJob() throws {
        let taken = try fixture.createJob()
        let before = try fixture.snapshot()
        let invoice = StubInvoiceRecord(
            paymentHash: String(repeating: "ee", count: 32), preimage: "22", amountMsat: 1000, memo: "m",
            expiresAt: Timestamp.now().adding(seconds: 60))
        // The job row fails after the invoice row was written (its id is taken): the whole create rolls back.
        #expect(throws: SQLiteError.self) {
            _ = try store.createJob(fixture.newJob(id: taken.id, stubInvoice: invoice), actor: 1000)
        }
        #expect(try fixture.snapshot() == before)
        #expect(try StubInvoiceStore(database: fixture.database).invoice(paymentHash: invoice.paymentHash) == nil)
    }

    @Test func aCreateOverTheUnpaidLimitLeavesNothing() throws {
        try fixture.createJob(clientAddress: "198.51.100.9", unpaidLimit: 1)
        let before = try fixture.snapshot()
        var job = fixture.newJob(clientAddress: "198.51.100.9")
        job.stubInvoice = StubInvoiceRecord(
            paymentHash: job.paymentHash, preimage: "33", amountMsat: 1000, memo: "m", expiresAt: Timestamp.now())
        #expect(throws: UnpaidLimitReached.self) { _ = try store.createJob(job, actor: 1000, unpaidLimit: 1) }
        #expect(try fixture.snapshot() == before)
    }

    @Test func moneyStateIsSyncedFully() throws {
        // synchronous=FULL (2): a committed job or payment survives a power cut.
        #expect(try fixture.database.queryOne("PRAGMA synchronous")?[0] == .integer(2))
    }

    // MARK: Each intent, from the right state

    @Test func paymentIntentsRecordWhatTheySay() throws {
        let expired = try #require(try store.expireInvoice(of: try fixture.createJob().id))
        #expect(expired.state == .expired)
        let late = try #require(try store.confirmPayment(of: expired.id, from: .expired, preimage: "ab", actor: nil))
        #expect(late.state == .provisioning && late.phase == .queued && late.preimage == "ab")
        #expect(try store.events(of: late.id).last?.reason == "late payment confirmed (after expired)")

        let cancelled = try #require(try store.cancelByBuyer(try fixture.createJob().id, actor: 7))
        let held = try #require(
            try store.holdLatePaymentForRefund(
                of: cancelled.id, from: .cancelled, preimage: "cd", actor: nil,
                failure: JobFailureText(publicMessage: "ask for a refund", detail: "held")))
        #expect(held.state == .failed && held.paidAt != nil && held.publicError == "ask for a refund")
        #expect(held.errorDetail == "held" && !held.paymentUnverified)

        let unverified = try #require(
            try store.failUnverifiedPayment(
                of: try fixture.createJob().id, from: .awaitingPayment, why: "amount", reportedPreimage: nil, actor: nil,
                failure: JobFailureText(publicMessage: "p", detail: "payment_unverified: amount")))
        #expect(unverified.state == .failed && unverified.paymentUnverified && unverified.preimage == nil)
    }

    @Test func provisioningIntentsRecordWhatTheySay() throws {
        let job = try fixture.provisioningJob()
        let keyed = try #require(
            try store.storeKeyPair(of: job.id, publicKey: "ssh-ed25519 A", fingerprint: "SHA256:a", sealedPrivateKey: [1]))
        #expect(keyed.sshPublicKey == "ssh-ed25519 A" && keyed.sealedPrivateKey == [1])
        #expect(
            try store.storeKeyPair(of: job.id, publicKey: "ssh-ed25519 B", fingerprint: "SHA256:b", sealedPrivateKey: [2]) == nil,
            "the first key pair is kept")
        _ = try #require(try store.storeNodeToken(id: job.id, hash: "h", sealed: [5]))
        let droplet = try fixture.recordDroplet(job.id)
        #expect(droplet.doDropletID == "42" && droplet.sealedNodeToken == nil, "the droplet carries the token now")
        let failed = try #require(
            try store.failProvisioning(
                job.id, failure: JobFailureText(publicMessage: "p", detail: "d"), keepPublicKey: false, reason: "x"))
        #expect(failed.state == .failed && failed.sealedPrivateKey == nil && failed.sshPublicKey == nil)
        let retried = try #require(try store.retryProvisioning(job.id, newKeyPair: true, actor: 0))
        #expect(retried.state == .provisioning && retried.phase == .queued && retried.doDropletID == nil)
        #expect(retried.publicError == nil && retried.nodeTokenHash == nil)
        let ready = try #require(try store.markReady(job.id))
        #expect(ready.state == .ready && ready.readyAt != nil)
        let destroyed = try #require(try store.destroyNode(job.id, actor: 0))
        #expect(destroyed.state == .destroyed)
        #expect(try store.events(of: job.id).last?.actorUID == 0)
    }

    @Test func aFailureKeepsTheBuyersOwnPublicKey() throws {
        let job = try fixture.provisioningJob(buyerKey: (line: "ssh-ed25519 BUYER", fingerprint: "SHA256:buyer"))
        let failed = try #require(
            try store.failProvisioning(
                job.id, failure: JobFailureText(publicMessage: "p", detail: "d"), keepPublicKey: true, reason: "x"))
        #expect(failed.sshPublicKey == "ssh-ed25519 BUYER")
    }

    @Test func refundIntentsRecordWhatTheySay() throws {
        let job = try fixture.failedPaidJob()
        let hash = String(repeating: "AB", count: 32)
        let started = try #require(try store.startRefund(of: job.id, bolt11: "lnbc1x", paymentHash: hash, amountSats: 10, actor: 5))
        #expect(started.state == .refunding && started.refundPaymentHash == hash.lowercased() && started.refundAmountSats == 10)
        let reopened = try #require(try store.reopenRefund(of: job.id, reason: "failed"))
        #expect(reopened.state == .failed && reopened.refundBolt11 == nil && reopened.refundPaymentHash == nil)
        _ = try #require(try store.startRefund(of: job.id, bolt11: "lnbc1y", paymentHash: hash, amountSats: 10, actor: 5))
        let refunded = try #require(try store.finishRefund(of: job.id, reason: "refund paid"))
        #expect(refunded.state == .refunded && refunded.refundedAt != nil)
    }

    @Test func statsCountStatesAndMoneyTaken() throws {
        try fixture.createJob()
        _ = try fixture.readyJobWithKey()
        _ = try store.failUnverifiedPayment(
            of: try fixture.createJob().id, from: .awaitingPayment, why: "x", reportedPreimage: nil, actor: nil,
            failure: JobFailureText(publicMessage: "p", detail: "d"))
        let stats = try store.stats()
        #expect(stats.jobsByState[.awaitingPayment] == 1 && stats.jobsByState[.ready] == 1 && stats.jobsByState[.failed] == 1)
        #expect(stats.jobsByState[.refunded] == 0)
        #expect(stats.paidJobs == 1 && stats.satsTaken == 50_000, "an unverified payment is not money taken")
        #expect(stats.provisioningMilliseconds.count == 1)
    }

    // MARK: Illegal transitions through each intent

    /// A job in `state`, reached through intents only.
    func job(in state: JobState) throws -> JobRecord {
        switch state {
        case .awaitingPayment: return try fixture.createJob()
        case .expired: return try #require(try store.expireInvoice(of: try fixture.createJob().id))
        case .cancelled: return try #require(try store.cancelByBuyer(try fixture.createJob().id, actor: 1))
        case .provisioning: return try fixture.provisioningJob()
        case .ready: return try fixture.readyJobWithKey()
        case .failed: return try fixture.failedPaidJob()
        case .destroyed: return try #require(try store.destroyNode(try fixture.readyJobWithKey().id, actor: 0))
        case .refunding:
            return try #require(
                try store.startRefund(
                    of: try fixture.failedPaidJob().id, bolt11: "lnbc1", paymentHash: JobIdentifier.make(), amountSats: 1, actor: nil))
        case .refunded:
            let refunding = try job(in: .refunding)
            return try #require(try store.finishRefund(of: refunding.id, reason: "paid"))
        }
    }

    /// Every intent that moves or writes a job, with the states it applies from.
    static let intents: [(name: String, allowed: Set<JobState>)] = [
        ("confirmPayment", [.awaitingPayment, .expired, .cancelled]), ("expireInvoice", [.awaitingPayment]),
        ("cancelByBuyer", [.awaitingPayment]), ("holdLatePaymentForRefund", [.expired, .cancelled]),
        ("failUnverifiedPayment", [.awaitingPayment, .expired, .cancelled]), ("storeKeyPair", [.provisioning]),
        ("recordPhase", [.provisioning]), ("markReady", [.provisioning]), ("failProvisioning", [.provisioning]),
        ("retryProvisioning", [.failed]), ("destroyNode", [.ready]), ("startRefund", [.failed]),
        ("finishRefund", [.refunding]), ("reopenRefund", [.refunding]), ("storeNodeToken", [.provisioning]),
    ]

    /// Runs `intent` on `job` as its caller would if it believed the job were still where
    /// the intent applies (a stale read): the guard must refuse it.
    func attempt(_ intent: String, on job: JobRecord) throws -> JobRecord? {
        let failure = JobFailureText(publicMessage: "p", detail: "d")
        switch intent {
        case "confirmPayment": return try store.confirmPayment(of: job.id, from: .awaitingPayment, preimage: "ab", actor: nil)
        case "expireInvoice": return try store.expireInvoice(of: job.id)
        case "cancelByBuyer": return try store.cancelByBuyer(job.id, actor: 1)
        case "holdLatePaymentForRefund":
            return try store.holdLatePaymentForRefund(of: job.id, from: .expired, preimage: "ab", actor: nil, failure: failure)
        case "failUnverifiedPayment":
            return try store.failUnverifiedPayment(
                of: job.id, from: .cancelled, why: "x", reportedPreimage: "ab", actor: nil, failure: failure)
        case "storeKeyPair":
            return try store.storeKeyPair(of: job.id, publicKey: "ssh-ed25519 Z", fingerprint: "SHA256:z", sealedPrivateKey: [7])
        case "recordPhase":
            var resources = ProvisionedResources()
            resources.doSSHKeyID = "9"
            return try store.recordPhase(.sshKeyUploaded, of: job.id, after: job.phase, resources: resources, reason: "p")
        case "markReady": return try store.markReady(job.id)
        case "failProvisioning": return try store.failProvisioning(job.id, failure: failure, keepPublicKey: false, reason: "x")
        case "retryProvisioning": return try store.retryProvisioning(job.id, newKeyPair: true, actor: 0)
        case "destroyNode": return try store.destroyNode(job.id, actor: 0)
        case "startRefund":
            return try store.startRefund(of: job.id, bolt11: "lnbc1z", paymentHash: JobIdentifier.make(), amountSats: 1, actor: nil)
        case "finishRefund": return try store.finishRefund(of: job.id, reason: "paid")
        case "reopenRefund": return try store.reopenRefund(of: job.id, reason: "failed")
        case "storeNodeToken": return try store.storeNodeToken(id: job.id, hash: "h2", sealed: [8])
        default:
            Issue.record("unknown intent \(intent)")
            return nil
        }
    }

    @Test(arguments: JobState.allCases)
    func anIntentFromAnyOtherStateIsRefusedAndChangesNothing(_ state: JobState) throws {
        for intent in Self.intents where !intent.allowed.contains(state) {
            let job = try job(in: state)
            let before = try fixture.snapshot()
            #expect(try attempt(intent.name, on: job) == nil, "\(intent.name) from \(state.rawValue)")
            #expect(try fixture.snapshot() == before, "\(intent.name) from \(state.rawValue) changed nothing")
        }
    }

    /// The intents' allowed states agree with the state machine: the store is no looser than the rules.
    @Test func theIntentsAllowNoMoreThanTheStateMachine() {
        let moves: [String: JobEvent] = [
            "confirmPayment": .paymentConfirmed, "expireInvoice": .invoiceExpired, "cancelByBuyer": .cancelledByBuyer,
            "holdLatePaymentForRefund": .latePaymentRefundable, "failUnverifiedPayment": .paymentUnverified,
            "markReady": .provisioningSucceeded, "failProvisioning": .provisioningFailed, "retryProvisioning": .retryRequested,
            "destroyNode": .destroyRequested, "startRefund": .refundStarted, "finishRefund": .refundSettled,
            "reopenRefund": .refundFailed,
        ]
        for intent in Self.intents {
            guard let event = moves[intent.name] else { continue }
            #expect(Set(JobStateMachine.sources(of: event)) == intent.allowed, "\(intent.name)")
        }
    }
}
