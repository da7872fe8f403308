import Protocol

/// `bootstrap.refund` (the buyer, with the job's token) and `admin.jobs.refund` (any job).
struct RefundService: Sendable {
    let store: JobStore
    let refunder: Refunder

    func refund(_ request: RefundParams, _ caller: Caller) async throws -> JobStatus {
        let job = try JobAuthorizer(store: store).job(request.credentials)
        return try await refund(job.id, bolt11: request.bolt11, caller: caller, byOperator: false)
    }

    func adminRefund(_ request: AdminRefundParams, _ caller: Caller) async throws -> JobStatus {
        // The refunder answers `not_found` for an unknown id itself.
        return try await refund(request.jobId, bolt11: request.bolt11, caller: caller, byOperator: true)
    }

    private func refund(_ jobID: String, bolt11: String, caller: Caller, byOperator: Bool) async throws -> JobStatus {
        let job = try await refunder.refund(jobID: jobID, bolt11: bolt11, actor: caller.uid, byOperator: byOperator)
        return JobStatusPresenter.status(of: job)
    }
}
