import Logging
import Protocol

/// The operator's methods on cloud resources: retry a failed job, destroy a ready
/// node, reconcile the cloud account against the jobs. Each action on a job is
/// recorded in its `job_events` with the caller's uid.
struct CloudAdminService: Sendable {
    let store: JobStore
    let provider: NodeProvider
    let provisioner: Provisioner
    let logger: Logger

    /// `admin.jobs.retry`: failed → provisioning, from scratch. Whatever the failed run
    /// left is deleted first (a leftover would otherwise be found by its tag and reused);
    /// if that cannot be done, nothing moves.
    func retry(_ params: JSONValue?, _ caller: Caller) async throws -> MethodOutcome {
        let job = try existingJob(JobReference(json: params ?? .object([:])).jobId)
        guard job.state == .failed else { throw wrongState(job, "Only a failed job can be retried") }
        try await tearDown(job, caller: caller)
        // A new node gets a new key pair, unless the buyer brought their own public key.
        guard let moved = try store.retryProvisioning(job.id, newKeyPair: !job.buyerSuppliedKey, actor: caller.uid)
        else { throw wrongState(try store.job(id: job.id) ?? job, "Only a failed job can be retried") }
        logger.notice("job retried", metadata: ["job": "\(job.id)", "uid": "\(caller.uid)"])
        await provisioner.start(jobID: job.id)
        return MethodOutcome(AdminJobPresenter.summary(of: moved))
    }

    /// `admin.jobs.destroy`: deletes a ready node's resources, then ready → destroyed.
    /// Safe to call again after a partial tear-down.
    func destroy(_ params: JSONValue?, _ caller: Caller) async throws -> MethodOutcome {
        let job = try existingJob(JobReference(json: params ?? .object([:])).jobId)
        guard job.state == .ready else { throw wrongState(job, "Only a ready node can be destroyed") }
        try await tearDown(job, caller: caller)
        guard let moved = try store.destroyNode(job.id, actor: caller.uid)
        else { throw wrongState(try store.job(id: job.id) ?? job, "Only a ready node can be destroyed") }
        logger.notice("node destroyed", metadata: ["job": "\(job.id)", "uid": "\(caller.uid)"])
        return MethodOutcome(AdminJobPresenter.summary(of: moved))
    }

    /// `admin.reconcile`: resources that look like timmyd's (tag `timmy-node` or a
    /// `timmy-` name) and belong to no job in `provisioning` or `ready`.
    func reconcile(_ params: JSONValue?, _ caller: Caller) async throws -> MethodOutcome {
        let request = try ReconcileParams(json: params ?? .object([:]))
        let resources: [CloudResource]
        do {
            resources = try await provider.listResources()
        } catch {
            logger.warning("reconcile: listing failed", metadata: ["error": "\(error)"])
            throw JSONRPCError.application(.upstreamUnavailable, "The cloud provider could not be listed: \(error)")
        }
        let orphans = Self.orphans(resources, liveJobs: try store.jobs(in: [.provisioning, .ready]))
        var deleted = 0
        var errors: [JSONValue] = []
        var entries: [JSONValue] = []
        for resource in orphans.sorted(by: { ($0.kind, $0.id) < ($1.kind, $1.id) }) {
            var entry: [String: JSONValue?] = [
                "kind": .string(resource.kind.rawValue), "id": .string(resource.id), "name": .string(resource.name),
                "tags": .array(resource.tags.map(JSONValue.string)), "jobId": resource.taggedJobID.map(JSONValue.string),
            ]
            if request.delete {
                do {
                    try await provider.delete(resource)
                    deleted += 1
                    entry["deleted"] = .bool(true)
                    let what = "reconcile deleted orphaned \(resource.kind.rawValue) \(resource.id) (\(resource.name))"
                    logger.notice("\(what)", metadata: ["uid": "\(caller.uid)"])
                    if let jobID = resource.taggedJobID, JobIdentifier.isWellFormed(jobID), try store.job(id: jobID) != nil {
                        try store.note(what, on: jobID, actor: caller.uid)
                    }
                } catch {
                    entry["deleted"] = .bool(false)
                    errors.append(.string("\(resource.kind.rawValue) \(resource.id): \(error)"))
                }
            }
            entries.append(.object(dropping: entry))
        }
        return MethodOutcome([
            "mode": .string(provider.mode.rawValue), "orphans": .array(entries), "deletedCount": .int(Int64(deleted)),
            "errors": .array(errors),
        ])
    }

    /// Which resources no live job owns: by its `timmy-job-<id>` tag, by a recorded id,
    /// or (for an untagged one, such as an account SSH key) by its `timmy-<id8>` name.
    /// A droplet or volume tagged for a live job that recorded a different one is a stray.
    static func orphans(_ resources: [CloudResource], liveJobs: [JobRecord]) -> [CloudResource] {
        let live = Dictionary(liveJobs.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        let recorded = Set(liveJobs.flatMap { [$0.doDropletID, $0.doVolumeID, $0.doSSHKeyID].compactMap { $0 } })
        let names = Set(liveJobs.map(\.resourceName))
        return resources.filter { resource in
            if let owner = resource.taggedJobID {
                guard let job = live[owner] else { return true }
                switch resource.kind {
                case .droplet: return job.doDropletID.map { $0 != resource.id } ?? false
                case .volume: return job.doVolumeID.map { $0 != resource.id } ?? false
                case .sshKey: return false
                }
            }
            if recorded.contains(resource.id) { return false }
            return !names.contains(resource.name)
        }
    }

    private func tearDown(_ job: JobRecord, caller: Caller) async throws {
        do {
            try await provider.tearDown(job)
        } catch {
            let detail = (error as? ProvisioningFailure)?.detail ?? "\(error)"
            try store.note("tear-down incomplete: \(detail)", on: job.id, actor: caller.uid)
            logger.warning("tear-down incomplete", metadata: ["job": "\(job.id)", "error": "\(detail)"])
            throw JSONRPCError.application(
                .teardownIncomplete, "Some of the job's cloud resources could not be deleted; nothing changed. Try again.",
                extra: ["detail": .string(detail)])
        }
    }

    private func existingJob(_ id: String) throws -> JobRecord {
        guard JobIdentifier.isWellFormed(id), let job = try store.job(id: id) else {
            throw JSONRPCError.application(.notFound, "No job with that id.")
        }
        return job
    }

    private func wrongState(_ job: JobRecord, _ message: String) -> JSONRPCError {
        .application(.wrongState, "\(message); this one is \(job.state.rawValue).", extra: ["state": job.state.json])
    }
}
