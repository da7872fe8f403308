import Logging
import Protocol

/// The operator's methods: job lists and details, statistics, simulated payments.
struct AdminService: Sendable {
    let store: JobStore
    let payments: PaymentBackend
    let watcher: PaymentWatcher
    var nodeSetup = NodeSetupSettings()
    let logger: Logger

    func listJobs(_ params: JSONValue?, _ caller: Caller) async throws -> MethodOutcome {
        let request = try JobListParams(json: params ?? .object([:]))
        var after: (Timestamp, String)? = nil
        if let cursor = request.cursor {
            let parts = cursor.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, let milliseconds = Int64(parts[0]), JobIdentifier.isWellFormed(parts[1]) else {
                throw JSONRPCError.invalidParams("cursor is not one this daemon gave out", field: "cursor")
            }
            after = (Timestamp(milliseconds: milliseconds), parts[1])
        }
        let jobs = try store.page(
            state: request.state, limit: request.limit + 1, after: after,
            stalledSince: request.stalled ? stallCutoff : nil)
        let page = jobs.prefix(Int(request.limit))
        var result: [String: JSONValue] = ["jobs": .array(page.map(AdminJobPresenter.summary(of:)))]
        if jobs.count > page.count, let last = page.last {
            result["nextCursor"] = .string("\(last.createdAt.milliseconds):\(last.id)")
        }
        return MethodOutcome(.object(result))
    }

    func getJob(_ params: JSONValue?, _ caller: Caller) async throws -> MethodOutcome {
        let reference = try JobReference(json: params ?? .object([:]))
        let job = try existingJob(reference.jobId)
        return MethodOutcome(AdminJobPresenter.detail(of: job, events: try store.events(of: job.id)))
    }

    func stats(_ params: JSONValue?, _ caller: Caller) async throws -> MethodOutcome {
        _ = try JSONFields(params, allowed: [])
        let stats = try store.stats()
        var byState: [String: JSONValue] = [:]
        for (state, count) in stats.jobsByState { byState[state.rawValue] = .int(count) }
        let durations = stats.provisioningMilliseconds
        var provisioning: [String: JSONValue] = ["completed": .int(Int64(durations.count))]
        if !durations.isEmpty {
            provisioning["medianSeconds"] = .double(Double(durations[durations.count / 2]) / 1000)
            provisioning["maxSeconds"] = .double(Double(durations.last!) / 1000)
        }
        return MethodOutcome([
            "jobsByState": .object(byState), "paidJobs": .int(stats.paidJobs),
            "satsTaken": .int(stats.satsTaken), "provisioning": .object(provisioning),
            "setupStalled": .int(try store.stalledSetupCount(silentSince: stallCutoff)),
            "setupFailed": .int(try store.failedSetupCount()),
        ])
    }

    func simulatePayment(_ params: JSONValue?, _ caller: Caller) async throws -> MethodOutcome {
        let reference = try JobReference(json: params ?? .object([:]))
        guard let stub = payments as? StubPaymentBackend else {
            throw JSONRPCError.application(.stubOnly, "Payments are real (LNbits); only stub invoices can be simulated.")
        }
        var job = try existingJob(reference.jobId)
        if try stub.simulatePayment(paymentHash: job.paymentHash) {
            try store.note("payment simulated by an admin", on: job.id, actor: caller.uid)
            logger.notice("stub payment simulated", metadata: ["job": "\(job.id)", "uid": "\(caller.uid)"])
        }
        job = try await watcher.checkNow(job, actor: caller.uid)
        return MethodOutcome(JobStatusPresenter.status(of: job).json)
    }

    /// A node that has said nothing since this moment is stalled.
    private var stallCutoff: Timestamp { Timestamp.now().adding(seconds: -nodeSetup.stallSeconds) }

    private func existingJob(_ id: String) throws -> JobRecord {
        guard JobIdentifier.isWellFormed(id), let job = try store.job(id: id) else {
            throw JSONRPCError.application(.notFound, "No job with that id.")
        }
        return job
    }
}
