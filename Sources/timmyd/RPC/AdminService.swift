import Logging
import Protocol

/// The operator's methods: job lists and details, statistics, simulated payments.
struct AdminService: Sendable {
    let store: JobStore
    let payments: PaymentBackend
    let watcher: PaymentWatcher
    var nodeSetup = NodeSetupSettings()
    let logger: Logger

    func listJobs(_ request: JobListParams, _ caller: Caller) async throws -> JobPage {
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
            stalledSince: request.stalled ? nodeSetup.stallCutoff() : nil)
        let page = jobs.prefix(Int(request.limit))
        var result = JobPage(jobs: page.map(AdminJobPresenter.summary(of:)))
        if jobs.count > page.count, let last = page.last {
            result.nextCursor = "\(last.createdAt.milliseconds):\(last.id)"
        }
        return result
    }

    func getJob(_ reference: JobReference, _ caller: Caller) async throws -> AdminJobDetail {
        let job = try existingJob(reference.jobId)
        return AdminJobPresenter.detail(of: job, events: try store.events(of: job.id))
    }

    func stats(_ params: NoParams, _ caller: Caller) async throws -> AdminStats {
        let stats = try store.stats()
        let durations = stats.provisioningMilliseconds
        return AdminStats(
            jobsByState: stats.jobsByState, paidJobs: stats.paidJobs, satsTaken: stats.satsTaken,
            provisioningCompleted: Int64(durations.count),
            provisioningMedianSeconds: durations.isEmpty ? nil : Double(durations[durations.count / 2]) / 1000,
            provisioningMaxSeconds: durations.last.map { Double($0) / 1000 },
            setupStalled: try store.stalledSetupCount(silentSince: nodeSetup.stallCutoff()), setupFailed: try store.failedSetupCount())
    }

    func simulatePayment(_ reference: JobReference, _ caller: Caller) async throws -> JobStatus {
        guard let stub = payments as? StubPaymentBackend else {
            throw JSONRPCError.application(.stubOnly, "Payments are real (LNbits); only stub invoices can be simulated.")
        }
        var job = try existingJob(reference.jobId)
        if try stub.simulatePayment(paymentHash: job.paymentHash) {
            try store.note("payment simulated by an admin", on: job.id, actor: caller.uid)
            logger.notice("stub payment simulated", metadata: ["job": "\(job.id)", "uid": "\(caller.uid)"])
        }
        job = try await watcher.checkNow(job, actor: caller.uid)
        return JobStatusPresenter.status(of: job)
    }

    private func existingJob(_ id: String) throws -> JobRecord {
        guard JobIdentifier.isWellFormed(id), let job = try store.job(id: id) else {
            throw JSONRPCError.application(.notFound, "No job with that id.")
        }
        return job
    }
}
