import Protocol
import Testing
@testable import timmyd

@Suite struct JobStoreTests {
    let fixture: MigratedStore
    var store: JobStore { fixture.store }

    init() throws { fixture = try MigratedStore() }

    private func insertJob(
        buyerKey: (line: String, fingerprint: String)? = nil, clientAddress: String? = nil, unpaidLimit: Int64? = nil
    ) throws -> JobRecord {
        try fixture.createJob(buyerKey: buyerKey, clientAddress: clientAddress, unpaidLimit: unpaidLimit)
    }

    @Test func unpaidLimitCountsOnlyJobsAwaitingPaymentFromThatAddress() throws {
        let first = try insertJob(clientAddress: "198.51.100.1", unpaidLimit: 2)
        _ = try insertJob(clientAddress: "198.51.100.1", unpaidLimit: 2)
        #expect(throws: UnpaidLimitReached.self) { try insertJob(clientAddress: "198.51.100.1", unpaidLimit: 2) }
        #expect(try store.unpaidCount(clientAddress: "198.51.100.1") == 2)
        // Other addresses, and jobs with no address, are not counted against it.
        _ = try insertJob(clientAddress: "198.51.100.2", unpaidLimit: 2)
        _ = try insertJob()
        // Once a job leaves awaiting_payment, its place is free again.
        _ = try #require(try store.cancelByBuyer(first.id, actor: 1000))
        _ = try insertJob(clientAddress: "198.51.100.1", unpaidLimit: 2)
        #expect(try store.unpaidCount(clientAddress: "198.51.100.1") == 2)
    }

    private func provisioningJob() throws -> JobRecord { try fixture.provisioningJob() }

    private func readyJobWithKey() throws -> JobRecord { try fixture.readyJobWithKey() }

    // MARK: Insert

    @Test func insertedJobAwaitsPaymentAndHasACreatedEvent() throws {
        let job = try insertJob()
        #expect(job.state == .awaitingPayment)
        #expect(job.phase == nil)
        #expect(job.amountSats == 50_000)
        #expect(!job.buyerSuppliedKey)
        #expect(job.createdAt == job.updatedAt)
        let events = try store.events(of: job.id)
        #expect(events.count == 1)
        #expect(events.first?.toState == "awaiting_payment")
        #expect(events.first?.fromState == nil)
        #expect(events.first?.actorUID == 1000)
        #expect(events.first?.reason == "created")
        #expect(try store.job(id: job.id)?.id == job.id)
    }

    @Test func insertWithBuyerKeyRecordsIt() throws {
        let job = try insertJob(buyerKey: (line: "ssh-ed25519 AAAAbuyer", fingerprint: "SHA256:buyer"))
        #expect(job.buyerSuppliedKey)
        #expect(job.sshPublicKey == "ssh-ed25519 AAAAbuyer")
        #expect(job.sshKeyFingerprint == "SHA256:buyer")
    }

    @Test func unknownJobIsNil() throws {
        #expect(try store.job(id: JobIdentifier.make()) == nil)
    }

    // MARK: Guarded transitions

    @Test func paymentConfirmedTwiceOnlyMovesOnce() throws {
        let job = try insertJob()
        let first = try store.confirmPayment(of: job.id, from: .awaitingPayment, preimage: "ab", actor: nil)
        #expect(first?.state == .provisioning)
        #expect(first?.phase == .queued)
        #expect(first?.preimage == "ab")
        #expect(first?.paidAt != nil && first?.provisioningStartedAt == first?.paidAt)
        let second = try store.confirmPayment(of: job.id, from: .awaitingPayment, preimage: "cd", actor: nil)
        #expect(second == nil)
        let transitions = try store.events(of: job.id).filter { $0.toState == "provisioning" }
        #expect(transitions.count == 1)
        #expect(transitions.first?.fromState == "awaiting_payment")
        #expect(transitions.first?.phase == "queued")
        #expect(transitions.first?.reason == "payment confirmed")
    }

    @Test func aMoveFromAStaleStateChangesNothing() throws {
        let job = try provisioningJob()
        let before = try fixture.snapshot()
        #expect(try store.expireInvoice(of: job.id) == nil)
        #expect(try store.cancelByBuyer(job.id, actor: 1000) == nil)
        #expect(try fixture.snapshot() == before)
        #expect(try store.job(id: job.id)?.state == .provisioning)
        #expect(try store.events(of: job.id).count == 2, "created and payment confirmed only")
    }

    @Test func aMoveOfAnUnknownJobIsNil() throws {
        #expect(try store.confirmPayment(of: JobIdentifier.make(), from: .awaitingPayment, preimage: "ab", actor: nil) == nil)
    }

    @Test func fiftyConcurrentAppliesHaveExactlyOneWinner() async throws {
        let job = try insertJob()
        let store = self.store
        let outcomes = await withTaskGroup(of: Result<JobRecord?, any Error>.self) { group in
            for index in 0..<50 {
                group.addTask {
                    Result {
                        try store.confirmPayment(of: job.id, from: .awaitingPayment, preimage: "ab", actor: UInt32(index))
                    }
                }
            }
            var outcomes: [Result<JobRecord?, any Error>] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let results = try outcomes.map { try $0.get() }
        #expect(results.count == 50)
        #expect(results.compactMap { $0 }.count == 1)
        let transitions = try store.events(of: job.id).filter { $0.toState == JobState.provisioning.rawValue }
        #expect(transitions.count == 1)
        #expect(try store.job(id: job.id)?.state == .provisioning)
    }

    @Test func changesAreAnnouncedToWatchers() async throws {
        let job = try insertJob()
        var wakeUps = store.changes.subscribe(jobID: job.id).makeAsyncIterator()
        _ = try store.cancelByBuyer(job.id, actor: 1000)
        #expect(await wakeUps.next() != nil)
    }

    // MARK: Phases

    @Test func recordPhaseIsGuardedOnThePreviousPhase() throws {
        let job = try provisioningJob()
        var key = ProvisionedResources()
        key.doSSHKeyID = "42"
        let none = ProvisionedResources()
        let uploaded = try store.recordPhase(.sshKeyUploaded, of: job.id, after: .queued, resources: key, reason: "p1")
        #expect(uploaded?.phase == .sshKeyUploaded)
        #expect(uploaded?.doSSHKeyID == "42")
        #expect(
            try store.recordPhase(.sshKeyUploaded, of: job.id, after: .queued, resources: none, reason: "again") == nil,
            "the same phase twice")
        #expect(
            try store.recordPhase(.volumeCreated, of: job.id, after: .queued, resources: none, reason: "stale") == nil,
            "a writer that missed the last phase")
        #expect(try store.recordPhase(.volumeCreated, of: job.id, after: .sshKeyUploaded, resources: none, reason: "p2")?.phase == .volumeCreated)
        let phases = try store.events(of: job.id).compactMap(\.phase)
        #expect(phases == ["queued", "ssh_key_uploaded", "volume_created"])
    }

    @Test func recordPhaseNeedsAProvisioningJob() throws {
        let job = try insertJob()
        let none = ProvisionedResources()
        #expect(try store.recordPhase(.sshKeyUploaded, of: job.id, after: nil, resources: none, reason: "x") == nil)
        let failed = try fixture.failedPaidJob()
        #expect(try store.recordPhase(.sshKeyUploaded, of: failed.id, after: .queued, resources: none, reason: "x") == nil)
    }

    // MARK: Key claims

    @Test func deliverKeyKeepsTheKeyAndFixesTheDeadlineAtTheFirstClaim() throws {
        let job = try readyJobWithKey()
        let first = try #require(try store.deliverKey(id: job.id, actor: 1000, confirmWindowSeconds: 600))
        #expect(first.sealedPrivateKey == [9, 9, 9])
        let claimedAt = try #require(first.keyClaimedAt)
        #expect(first.keyConfirmBy == claimedAt.adding(seconds: 600))
        let again = try #require(try store.deliverKey(id: job.id, actor: 1000, confirmWindowSeconds: 9_999))
        #expect(again.sealedPrivateKey == [9, 9, 9])
        #expect(again.keyClaimedAt == claimedAt, "the first claim's time stays")
        #expect(again.keyConfirmBy == first.keyConfirmBy, "a later claim does not extend the window")
        let reasons = try store.events(of: job.id).map(\.reason).filter { $0.hasPrefix("ssh key delivered") }
        #expect(reasons.count == 2)
        #expect(reasons.first?.hasPrefix("ssh key delivered (first claim)") == true)
        #expect(reasons.last?.hasPrefix("ssh key delivered again") == true)
    }

    @Test func deliverKeyNeedsAReadyJob() throws {
        let job = try provisioningJob()
        _ = try store.storeKeyPair(of: job.id, publicKey: "ssh-ed25519 AAAA", fingerprint: "SHA256:x", sealedPrivateKey: [1])
        #expect(try store.deliverKey(id: job.id, actor: 1000, confirmWindowSeconds: 600) == nil)
    }

    @Test func deliverKeyRefusesAfterTheDeadline() throws {
        let job = try readyJobWithKey()
        _ = try store.deliverKey(id: job.id, actor: 1000, confirmWindowSeconds: 600)
        try fixture.force(job.id, "key_confirm_by = ?", [.integer(Timestamp.now().milliseconds - 1)])
        #expect(try store.deliverKey(id: job.id, actor: 1000, confirmWindowSeconds: 600) == nil)
    }

    @Test func fiftyConcurrentClaimsAllGetTheSameRowAndOneDeadline() async throws {
        let job = try readyJobWithKey()
        let store = self.store
        let outcomes = await withTaskGroup(of: Result<JobRecord?, any Error>.self) { group in
            for index in 0..<50 {
                group.addTask { Result { try store.deliverKey(id: job.id, actor: UInt32(index), confirmWindowSeconds: 600) } }
            }
            var outcomes: [Result<JobRecord?, any Error>] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let results = try outcomes.map { try #require(try $0.get()) }
        #expect(results.count == 50)
        #expect(Set(results.map { $0.sealedPrivateKey ?? [] }) == [[9, 9, 9]])
        #expect(Set(results.compactMap(\.keyConfirmBy)).count == 1)
        let firsts = try store.events(of: job.id).filter { $0.reason.hasPrefix("ssh key delivered (first claim)") }
        #expect(firsts.count == 1)
    }

    @Test func confirmKeyWipesOnlyWithTheRightFingerprintAfterAClaim() throws {
        let job = try readyJobWithKey()
        let fingerprint = try #require(job.sshKeyFingerprint)
        #expect(try store.confirmKey(id: job.id, fingerprint: fingerprint, actor: 1000) == nil, "not claimed yet")
        _ = try store.deliverKey(id: job.id, actor: 1000, confirmWindowSeconds: 600)
        #expect(try store.confirmKey(id: job.id, fingerprint: "SHA256:other", actor: 1000) == nil)
        #expect(try store.job(id: job.id)?.sealedPrivateKey == [9, 9, 9], "a wrong fingerprint wipes nothing")
        let wiped = try #require(try store.confirmKey(id: job.id, fingerprint: fingerprint, actor: 1000))
        #expect(wiped.sealedPrivateKey == nil)
        #expect(wiped.keyWipedAt != nil)
        #expect(try store.confirmKey(id: job.id, fingerprint: fingerprint, actor: 1000) == nil)
        #expect(try store.deliverKey(id: job.id, actor: 1000, confirmWindowSeconds: 600) == nil)
        #expect(try store.events(of: job.id).contains { $0.reason == "ssh key receipt confirmed; wiped" && $0.actorUID == 1000 })
    }

    @Test func unconfirmedKeysAreWipedAtTheirDeadlineOnly() throws {
        let job = try readyJobWithKey()
        let other = try readyJobWithKey()
        let delivered = try #require(try store.deliverKey(id: job.id, actor: 1000, confirmWindowSeconds: 600))
        let deadline = try #require(delivered.keyConfirmBy)
        #expect(try store.nextKeyConfirmDeadline() == deadline)
        #expect(try store.wipeUnconfirmedKeys(now: deadline.adding(milliseconds: -1)) == [])
        #expect(try store.wipeUnconfirmedKeys(now: deadline) == [job.id])
        #expect(try store.job(id: job.id)?.sealedPrivateKey == nil)
        #expect(try store.job(id: other.id)?.sealedPrivateKey == [9, 9, 9], "an unclaimed key is left to retention")
        #expect(try store.nextKeyConfirmDeadline() == nil)
        #expect(try store.events(of: job.id).contains { $0.reason.hasPrefix("delivered ssh key wiped: receipt not confirmed") })
    }

    // MARK: Listing and wiping

    @Test func jobsInStatesAndPagesNewestFirst() throws {
        let first = try insertJob()
        let second = try insertJob()
        _ = try store.cancelByBuyer(first.id, actor: 1)
        #expect(try store.jobs(in: [.awaitingPayment]).map(\.id) == [second.id])
        #expect(Set(try store.jobs(in: [.awaitingPayment, .cancelled]).map(\.id)) == [first.id, second.id])
        let page = try store.page(state: nil, limit: 1, after: nil)
        #expect(page.count == 1)
        let last = try #require(page.last)
        let rest = try store.page(state: nil, limit: 10, after: (last.createdAt, last.id))
        #expect(Set((page + rest).map(\.id)) == [first.id, second.id])
        #expect(rest.count == 1)
    }

    @Test func unclaimedKeysAreWipedAfterRetention() throws {
        let job = try readyJobWithKey()
        try fixture.force(job.id, "ready_at = ?", [.integer(1_000)])
        #expect(try store.wipeUnclaimedKeys(readyBefore: Timestamp(milliseconds: 1_000)) == [])
        #expect(try store.wipeUnclaimedKeys(readyBefore: Timestamp(milliseconds: 1_001)) == [job.id])
        let wiped = try #require(try store.job(id: job.id))
        #expect(wiped.sealedPrivateKey == nil)
        #expect(wiped.keyWipedAt != nil)
        #expect(try store.deliverKey(id: job.id, actor: 1000, confirmWindowSeconds: 600) == nil)
    }
}
