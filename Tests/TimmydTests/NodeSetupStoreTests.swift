import Logging
import Protocol
import Testing
@testable import timmyd

/// Setup reports in the store: recorded only for a job with a node and the right
/// token hash, each with a history row; stalls counted; and what the buyer sees.
@Suite struct NodeSetupStoreTests {
    let fixture: MigratedStore
    var store: JobStore { fixture.store }

    init() throws { fixture = try MigratedStore() }

    /// A paid job provisioning at `phase`, with a node token stored before the droplet.
    private func provisioningJob(token: String) throws -> JobRecord {
        let id = try fixture.provisioningJob().id
        return try #require(try store.storeNodeToken(id: id, hash: NodeToken.hash(token), sealed: [9, 9, 9]))
    }

    private func report(_ step: NodeSetupStep, _ state: NodeSetupState, _ message: String? = nil, at: Timestamp = .now())
        -> NodeSetupReport
    {
        NodeSetupReport(step: step, state: state, message: message, at: at)
    }

    @Test func aReportNeedsADropletAndTheTokenAndLeavesOneHistoryRow() async throws {
        let token = NodeToken.make()
        let job = try provisioningJob(token: token)
        let hash = NodeToken.hash(token)
        #expect(job.nodeTokenHash == hash && job.sealedNodeToken == [9, 9, 9])
        // A second token while the first waits to be rendered is refused: the first writer wins.
        #expect(try store.storeNodeToken(id: job.id, hash: NodeToken.hash(NodeToken.make()), sealed: [1]) == nil)

        let eventsBefore = try store.events(of: job.id).count
        #expect(try store.recordSetupReport(report(.packages, .running), id: job.id, tokenHash: hash) == nil, "no droplet yet")
        #expect(try store.events(of: job.id).count == eventsBefore)
        try fixture.recordDroplet(job.id)
        let eventsWithDroplet = try store.events(of: job.id).count
        #expect(try store.recordSetupReport(report(.packages, .running), id: job.id, tokenHash: NodeToken.hash("tnt_x")) == nil)
        #expect(try store.events(of: job.id).count == eventsWithDroplet)

        let changes = store.changes.subscribe(jobID: job.id)
        let recorded = try #require(try store.recordSetupReport(report(.docker, .failed, "apt timed out"), id: job.id, tokenHash: hash))
        #expect(recorded.setupReport?.step == .docker && recorded.setupReport?.state == .failed)
        #expect(recorded.setupReport?.message == "apt timed out")
        #expect(try store.events(of: job.id).last?.reason == "node setup: docker failed: apt timed out")
        var iterator = changes.makeAsyncIterator()
        #expect(await iterator.next() != nil, "watchers are told")

        // Once the droplet exists a new token cannot be slipped in.
        #expect(try store.storeNodeToken(id: job.id, hash: NodeToken.hash(NodeToken.make()), sealed: [1]) == nil)
        // A job that left provisioning for failed takes no more reports.
        _ = try #require(
            try store.failProvisioning(job.id, failure: JobFailureText(publicMessage: "p", detail: "d"), keepPublicKey: false, reason: "x"))
        #expect(try store.recordSetupReport(report(.docker, .running), id: job.id, tokenHash: hash) == nil)
    }

    @Test func oneNodeMaySendAtMostItsShareOfReports() throws {
        let token = NodeToken.make()
        let hash = NodeToken.hash(token)
        let job = try provisioningJob(token: token)
        #expect(job.setupReportCount == 0)
        try fixture.recordDroplet(job.id)
        try fixture.force(job.id, "setup_report_count = ?", [.integer(NodeSetupReport.maximumPerNode - 1)])
        let last = try #require(try store.recordSetupReport(report(.lnd, .running), id: job.id, tokenHash: hash))
        #expect(last.setupReportCount == NodeSetupReport.maximumPerNode)
        let events = try store.events(of: job.id).count
        #expect(try store.recordSetupReport(report(.lnd, .done), id: job.id, tokenHash: hash) == nil)
        #expect(try store.events(of: job.id).count == events)
        #expect(try store.job(id: job.id)?.setupReport?.state == .running)

        // Over the route: a 409 the node's script drops, naming the limit; a wrong token still 401.
        let receiver = NodeSetupReceiver(store: store, logger: Logger(label: "test"))
        let body = Array(#"{"step":"lnd","state":"done"}"#.utf8)
        do {
            _ = try receiver.receive(jobID: job.id, token: token, body: body)
            Issue.record("a report over the limit was taken")
        } catch {
            #expect(error.reason == "wrong_state" && error.data?["limit"] == .int(NodeSetupReport.maximumPerNode))
        }
        do {
            _ = try receiver.receive(jobID: job.id, token: NodeToken.make(), body: body)
            Issue.record("a wrong token was taken")
        } catch {
            #expect(error.reason == "bad_token")
        }
    }

    @Test func aReadyNodeStallsWhenSilentUntilCompleteOrFailed() throws {
        let token = NodeToken.make()
        let hash = NodeToken.hash(token)
        let job = try provisioningJob(token: token)
        let readyAt = Timestamp.now().adding(seconds: -600)
        try fixture.recordDroplet(job.id)
        _ = try #require(try store.markReady(job.id))
        try fixture.force(job.id, "ready_at = ?", [.integer(readyAt.milliseconds)])
        let fiveMinutesAgo = Timestamp.now().adding(seconds: -300)
        #expect(try store.stalledSetupCount(silentSince: fiveMinutesAgo) == 1, "ready 10 minutes ago, never reported")
        #expect(try store.page(state: nil, limit: 10, after: nil, stalledSince: fiveMinutesAgo).map(\.id) == [job.id])
        #expect(try store.stalledSetupCount(silentSince: Timestamp.now().adding(seconds: -900)) == 0)

        _ = try #require(try store.recordSetupReport(report(.lnd, .running), id: job.id, tokenHash: hash))
        #expect(try store.stalledSetupCount(silentSince: fiveMinutesAgo) == 0, "it just reported")
        _ = try #require(
            try store.recordSetupReport(report(.lnd, .running, at: Timestamp.now().adding(seconds: -400)), id: job.id, tokenHash: hash))
        #expect(try store.stalledSetupCount(silentSince: fiveMinutesAgo) == 1, "silent since its last report")

        _ = try #require(
            try store.recordSetupReport(report(.lnd, .failed, at: Timestamp.now().adding(seconds: -400)), id: job.id, tokenHash: hash))
        #expect(try store.stalledSetupCount(silentSince: fiveMinutesAgo) == 0, "failed is not stalled")
        #expect(try store.failedSetupCount() == 1)
        _ = try #require(
            try store.recordSetupReport(report(.complete, .done, at: Timestamp.now().adding(seconds: -400)), id: job.id, tokenHash: hash))
        #expect(try store.stalledSetupCount(silentSince: fiveMinutesAgo) == 0, "complete is not stalled")
        #expect(try store.page(state: nil, limit: 10, after: nil, stalledSince: fiveMinutesAgo).isEmpty)
    }

    // MARK: What the buyer sees

    private func readyJob(token: Bool, report: NodeSetupReport? = nil) -> JobRecord {
        var job = JobRecord.fixture(state: .ready)
        job.nodeTokenHash = token ? NodeToken.hash(NodeToken.make()) : nil
        job.setupReport = report
        return job
    }

    @Test func withoutReportsTheStatusSaysSoAndReadyMeansReady() {
        let status = JobStatusPresenter.status(of: readyJob(token: false))
        #expect(status.node?.setup == NodeSetupStatus(reported: false))
        #expect(status.node?.json["setup"] == ["reported": false])
        #expect(status.message == "Your node is ready.")
        #expect(status.isFinal)
    }

    @Test func reportsShowStepProgressThenCompletion() throws {
        let waiting = JobStatusPresenter.status(of: readyJob(token: true))
        #expect(waiting.node?.setup == NodeSetupStatus(reported: true))
        #expect(waiting.message.hasPrefix("Machine up"))
        #expect(!waiting.isFinal)

        let at = Timestamp(milliseconds: 1_800_000_000_000)
        let lnd = JobStatusPresenter.status(of: readyJob(token: true, report: report(.lnd, .running, at: at)))
        #expect(lnd.message == "Machine up — starting LND and making its wallet (step 8 of 10).")
        #expect(lnd.node?.setup == NodeSetupStatus(reported: true, step: .lnd, state: .running, updatedAt: at.rfc3339))
        #expect(lnd.nextSteps?.contains { $0.contains("still installing") } == true)
        #expect(!lnd.isFinal)

        let done = JobStatusPresenter.status(of: readyJob(token: true, report: report(.complete, .done, at: at)))
        #expect(done.message == "Your node's software is running.")
        #expect(done.isFinal)
        #expect(done.nextSteps?.contains { $0.contains("still installing") } == false)

        let failed = JobStatusPresenter.status(of: readyJob(token: true, report: report(.lnd, .failed, "wallet init timed out.", at: at)))
        #expect(failed.message == "Machine up, but its setup failed at starting LND and making its wallet (step 8 of 10): wallet init timed out.")
        #expect(failed.isFinal)
        #expect(failed.nextSteps?.contains { $0.contains("/var/log/timmy-node-setup.log") } == true)
        #expect(failed.nextSteps?.contains("Run the setup again: bash /opt/timmy-node/setup.sh") == true)
        // Round trip through the wire type.
        #expect(try JobStatus(json: failed.json) == failed)
    }
}
