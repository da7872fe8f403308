import Logging
#if canImport(Glibc)
import Glibc
#endif
import NIOPosix
import Protocol

/// Drives paid jobs through the provisioning phases, one task per job.
///
/// - Important: a job is only provisioned after winning the guarded move into
///   `provisioning`, and each phase is recorded with a guarded update on the
///   previous phase, so even two daemons on one database could not both record a
///   phase. Within one daemon, `running` keeps a job to a single task.
actor Provisioner {
    private let store: JobStore
    private let provider: NodeProvider
    private let vault: KeyVault
    private let keyAlgorithm: SSHKeyAlgorithm
    private let crashAfterPhase: ProvisionPhase?
    private let crashBeforeRecording: ProvisionPhase?
    private let threadPool: NIOThreadPool
    private let nodeSetup: NodeSetupSettings
    private let logger: Logger
    private let metrics: DaemonMetrics
    private var running: [String: Task<Void, Never>] = [:]
    /// Jobs asked to start while their previous task was still winding down (a retry
    /// right after a failure): started again as soon as that task ends.
    private var startAgain: Set<String> = []
    private var stopped = false

    init(
        store: JobStore, provider: NodeProvider, vault: KeyVault, keyAlgorithm: SSHKeyAlgorithm,
        threadPool: NIOThreadPool, crashAfterPhase: ProvisionPhase? = nil,
        crashBeforeRecording: ProvisionPhase? = nil, nodeSetup: NodeSetupSettings = NodeSetupSettings(), logger: Logger,
        metrics: DaemonMetrics = DaemonMetrics()
    ) {
        self.metrics = metrics
        self.nodeSetup = nodeSetup
        self.crashAfterPhase = crashAfterPhase
        self.crashBeforeRecording = crashBeforeRecording
        self.store = store
        self.provider = provider
        self.vault = vault
        self.keyAlgorithm = keyAlgorithm
        self.threadPool = threadPool
        self.logger = logger
    }

    func start(jobID: String) {
        guard !stopped else { return }
        guard running[jobID] == nil else {
            startAgain.insert(jobID)
            return
        }
        running[jobID] = Task { [weak self] in
            await self?.provision(jobID: jobID)
            await self?.finished(jobID: jobID)
        }
    }

    /// Picks up every job a previous run left in `provisioning`, at its recorded phase.
    func resumeInterruptedJobs() throws {
        for job in try store.jobs(in: [.provisioning]) {
            logger.info("resuming provisioning", metadata: ["job": "\(job.id)", "phase": "\(job.phase?.rawValue ?? "-")"])
            start(jobID: job.id)
        }
    }

    /// Stops every job where it is; each resumes from its recorded phase on the next start.
    func shutdown() async {
        stopped = true
        let tasks = Array(running.values)
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    var activeJobCount: Int { running.count }

    private func finished(jobID: String) {
        running[jobID] = nil
        // A start that came in meanwhile finds the job's state anew; a job no longer provisioning just returns.
        if startAgain.remove(jobID) != nil { start(jobID: jobID) }
    }

    private func provision(jobID: String) async {
        do {
            while !Task.isCancelled {
                guard var job = try store.job(id: jobID), job.state == .provisioning else { return }
                if let crashAfterPhase, job.phase == crashAfterPhase {
                    logger.critical("fault injection: SIGKILL after phase \(crashAfterPhase.rawValue)")
                    raise(SIGKILL)
                }
                if job.sshPublicKey == nil {
                    job = try await makeKey(for: job) ?? job
                }
                let current = job.phase ?? .queued
                guard let next = current.next else {
                    if try store.markReady(jobID) != nil {
                        logger.info("node ready", metadata: ["job": "\(jobID)"])
                        metrics.provisioningSucceeded(startedAt: job.provisioningStartedAt ?? job.paidAt ?? job.createdAt)
                    }
                    return
                }
                if next == .dropletCreated, nodeSetup.reportsEnabled, provider.rendersUserData, job.sealedNodeToken == nil {
                    job = try makeNodeToken(for: job)
                }
                let created: ProvisionedResources
                do {
                    created = try await provider.perform(next, for: job)
                } catch is CancellationError {
                    return
                } catch {
                    try await fail(job, error)
                    return
                }
                if let crashBeforeRecording, next == crashBeforeRecording {
                    logger.critical("fault injection: SIGKILL before recording phase \(next.rawValue)")
                    raise(SIGKILL)
                }
                var resources = created
                if next == .dropletCreated {
                    // On the droplet now (or never to be used): the one-off secrets go, whatever the provider.
                    resources.wipeTailscaleAuthKey = true
                }
                _ = try store.recordPhase(next, of: jobID, after: current, resources: resources, reason: "phase \(next.rawValue)")
            }
        } catch {
            // A database error: leave the job at its recorded phase; the next start resumes it.
            logger.error("provisioning stopped by a store error", metadata: ["job": "\(jobID)", "error": "\(error)"])
        }
    }

    /// Makes the job's key pair off the event loops (RSA-4096 takes seconds) and
    /// stores it sealed. Only the first writer's key is kept.
    private func makeKey(for job: JobRecord) async throws -> JobRecord? {
        let algorithm = SSHKeyAlgorithm(rawValue: job.sshKeyAlgorithm) ?? keyAlgorithm
        let comment = "\(job.resourceName)@timmyd"
        let pair = try await threadPool.runIfActive { try SSHKeyPair.generate(algorithm, comment: comment) }
        let sealed = try vault.seal(privateKey: pair.privateKey, jobID: job.id)
        return try store.storeKeyPair(
            of: job.id, publicKey: pair.publicKey, fingerprint: pair.fingerprint, sealedPrivateKey: sealed)
    }

    /// A new node token for the droplet about to be made (a retry makes a new one, replacing
    /// the old hash). Kept sealed until the droplet exists, so a droplet created by a run that
    /// died before recording it is found carrying a token timmyd still knows.
    private func makeNodeToken(for job: JobRecord) throws -> JobRecord {
        let token = NodeToken.make()
        let sealed = try vault.box.seal(Array(token.utf8), associatedData: NodeToken.associatedData(jobID: job.id))
        if let stored = try store.storeNodeToken(id: job.id, hash: NodeToken.hash(token), sealed: sealed) { return stored }
        return try store.job(id: job.id) ?? job
    }

    private func fail(_ job: JobRecord, _ error: Error) async throws {
        let failure =
            error as? ProvisioningFailure
            ?? ProvisioningFailure(publicMessage: "The node could not be built.", detail: "\(error)")
        logger.error("provisioning failed", metadata: ["job": "\(job.id)", "error": "\(failure.detail)"])
        if let failedPhase = (job.phase ?? .queued).next { metrics.provisioningFailed(at: failedPhase) }
        do {
            try await provider.tearDown(job)
        } catch {
            logger.error("tear-down after failure incomplete", metadata: ["job": "\(job.id)", "error": "\(error)"])
        }
        // The node is gone, so its key opens nothing: drop it rather than hand it out.
        _ = try store.failProvisioning(
            job.id, failure: JobFailureText(publicMessage: failure.publicMessage, detail: failure.detail),
            keepPublicKey: job.buyerSuppliedKey,
            reason: "provisioning failed at \(job.phase?.next?.rawValue ?? "?"): \(failure.publicMessage)")
    }
}
