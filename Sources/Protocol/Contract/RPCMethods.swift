/// Every method timmyd serves, described once. The daemon registers its handlers
/// against these, `RPCClient` calls through them, `rpc.discover` is made of them.
public enum RPCMethods {
    private typealias E = RPCExamples

    public static let discover = RPCMethod<NoParams, DiscoveryDocument>(
        .discover, role: .client, summary: "This document: every method, its params, result, errors and examples.",
        result: "OpenRPCDocument",
        examples: [
            RPCExample(
                "the document", params: NoParams(),
                result: DiscoveryDocument(["openrpc": "1.3.2", "info": ["title": "timmyd", "version": "1.0.0"], "methods": []]))
        ])

    public static let daemonInfo = RPCMethod<NoParams, DaemonInfo>(
        .daemonInfo, role: .client, summary: "Version, payment and provisioning modes, price and plan.",
        result: "DaemonInfo",
        examples: [
            RPCExample(
                "a stub daemon", params: NoParams(),
                result: DaemonInfo(
                    version: "1.0.0", payments: .init(mode: "stub", summary: "stub invoices", health: "ok"),
                    refunds: .init(available: true), latePaymentPolicy: "provision",
                    provisioning: .init(mode: "stub", summary: "stub nodes"), priceSats: 50_000,
                    invoiceExpirySeconds: 900, plan: E.plan, nodeSetupReports: false,
                    caller: .init(uid: 1000, role: .client)))
        ])

    public static let create = RPCMethod<CreateJobParams, CreateJobResult>(
        .create, role: .client,
        summary: "Start a purchase: a new job, its Lightning invoice and its access token (shown once).",
        result: "CreateJobResult",
        errors: [
            .application(.upstreamUnavailable, "The payment service could not make an invoice; nothing was stored."),
            .application(.rateLimited, "Too many purchases started from this address or uid; data.retryAfterSeconds says when to try again."),
            .application(.tooManyUnpaid, "This address already has data.limit unpaid purchases."),
        ],
        examples: [
            RPCExample(
                "a purchase", params: CreateJobParams(label: "office node"),
                result: CreateJobResult(jobId: E.jobId, accessToken: E.token, state: .awaitingPayment, invoice: E.invoice))
        ])

    public static let status = RPCMethod<JobCredentials, JobStatus>(
        .status, role: .client, summary: "Where a job stands.", result: "JobStatus",
        errors: [
            .application(.notFound, "No job with that id."),
            .application(.badToken, "The access token is not this job's."),
        ],
        examples: [RPCExample("an unpaid job", params: E.credentials, result: E.unpaid)])

    public static let watch = RPCMethod<JobCredentials, JobStatus>(
        .watch, role: .client,
        summary: "The status now, then bootstrap.changed notifications until a settled state "
            + "(for a ready node that reports its setup: until that setup completes or fails). Not over HTTP.",
        result: "JobStatus",
        errors: [
            .application(.notFound, "No job with that id."),
            .application(.badToken, "The access token is not this job's."),
            .application(.tooManyWatches, "Too many watches on this connection or of this job (data.limit, data.scope)."),
            RPCErrorCase(
                code: JSONRPCError.methodNotFoundCode, reason: "not_over_http",
                message: "Over HTTP, use GET /api/bootstrap/{jobId}/events instead."),
        ],
        examples: [RPCExample("an unpaid job", params: E.credentials, result: E.unpaid)],
        notifications: [
            RPCNotification(
                name: MethodName.changedNotification, summary: "The job's status after each change the buyer can see.",
                params: .ref(JobStatus.self))
        ])

    public static let claimKey = RPCMethod<JobCredentials, ClaimKeyResult>(
        .claimKey, role: .client,
        summary: "The node's SSH private key: the same key on every claim until its receipt is confirmed "
            + "(bootstrap.confirmKey) or confirmBy, fixed at the first claim, passes; then it is wiped.",
        result: "ClaimKeyResult",
        errors: [
            .application(.notFound, "No job with that id."),
            .application(.badToken, "The access token is not this job's."),
            .application(.wrongState, "The node is not ready (data.state)."),
            .application(.noKeyHeld, "The buyer supplied the public key, or the unclaimed key was wiped after retention."),
            .application(.keyAlreadyClaimed, "The key was delivered and is no longer held (data.claimedAt)."),
        ],
        examples: [
            RPCExample(
                "a ready node", params: E.credentials,
                result: ClaimKeyResult(
                    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\n…\n-----END OPENSSH PRIVATE KEY-----\n",
                    sshPublicKey: E.publicKey, sshKeyFingerprint: E.fingerprint, confirmBy: "2026-01-05T11:06:00Z"))
        ])

    public static let confirmKey = RPCMethod<ConfirmKeyParams, ConfirmKeyResult>(
        .confirmKey, role: .client,
        summary: "The buyer saved the key: wipe it now. The fingerprint must be the key's "
            + "(else fingerprint_mismatch, nothing wiped); only after a claim (else key_not_claimed).",
        result: "ConfirmKeyResult",
        errors: [
            .application(.notFound, "No job with that id."),
            .application(.badToken, "The access token is not this job's."),
            .application(.wrongState, "The node is not ready (data.state)."),
            .application(.noKeyHeld, "timmyd holds no key for this node."),
            .application(.keyAlreadyClaimed, "The key is already gone."),
            .application(.keyNotClaimed, "The key has not been claimed yet."),
            .application(.fingerprintMismatch, "That fingerprint is not the node's key; nothing was wiped."),
        ],
        examples: [
            RPCExample(
                "a saved key",
                params: ConfirmKeyParams(jobId: E.jobId, accessToken: E.token, sshKeyFingerprint: E.fingerprint),
                result: ConfirmKeyResult(jobId: E.jobId, sshKeyFingerprint: E.fingerprint, wipedAt: "2026-01-05T10:12:00Z"))
        ])

    public static let cancel = RPCMethod<JobCredentials, JobStatus>(
        .cancel, role: .client, summary: "Cancel a job before it is paid.", result: "JobStatus",
        errors: [
            .application(.notFound, "No job with that id."),
            .application(.badToken, "The access token is not this job's."),
            .application(.wrongState, "Only a job awaiting payment can be cancelled (data.state)."),
        ],
        examples: [RPCExample("an unpaid job", params: E.credentials, result: E.cancelled)])

    static let refundErrors: [RPCErrorCase] = [
        .application(.notFound, "No job with that id."),
        .application(.wrongState, "Only a paid job that failed can be refunded (data.state)."),
        .application(.refundsDisabled, "Refunds are off on this daemon."),
        .application(.refundFailed, "The refund payment failed; nothing was paid."),
        .application(.invoiceAlreadyUsed, "Another job's refund already uses that invoice."),
        .application(.upstreamUnavailable, "The payment service is unavailable."),
    ]

    public static let refund = RPCMethod<RefundParams, JobStatus>(
        .refund, role: .client,
        summary: "A paid job that failed: pay the buyer's invoice (at most the amount paid), exactly once.",
        result: "JobStatus",
        errors: refundErrors + [.application(.badToken, "The access token is not this job's.")],
        examples: [
            RPCExample(
                "a failed job", params: RefundParams(jobId: E.jobId, accessToken: E.token, bolt11: E.refundInvoice),
                result: E.refunded)
        ])

    public static let jobsList = RPCMethod<JobListParams, JobPage>(
        .jobsList, role: .admin, summary: "Jobs without secrets, newest first.", result: "JobPage",
        examples: [RPCExample("the first page", params: JobListParams(limit: 1), result: JobPage(jobs: [E.adminJob]))])

    public static let jobsGet = RPCMethod<JobReference, AdminJobDetail>(
        .jobsGet, role: .admin, summary: "One job with its history.", result: "AdminJobDetail",
        errors: [.application(.notFound, "No job with that id.")],
        examples: [RPCExample("a ready job", params: JobReference(jobId: E.jobId), result: E.adminDetail)])

    public static let jobsRefund = RPCMethod<AdminRefundParams, JobStatus>(
        .jobsRefund, role: .admin, summary: "bootstrap.refund for any job, without its access token.", result: "JobStatus",
        errors: refundErrors,
        examples: [
            RPCExample(
                "a failed job", params: AdminRefundParams(jobId: E.jobId, bolt11: E.refundInvoice), result: E.refunded)
        ])

    public static let stats = RPCMethod<NoParams, AdminStats>(
        .stats, role: .admin,
        summary: "Counts by state, sats taken, provisioning times, stalled and failed node setups.", result: "AdminStats",
        examples: [
            RPCExample(
                "one ready node", params: NoParams(),
                result: AdminStats(
                    jobsByState: [.ready: 1], paidJobs: 1, satsTaken: 50_000, provisioningCompleted: 1,
                    provisioningMedianSeconds: 240.5, provisioningMaxSeconds: 240.5, setupStalled: 0, setupFailed: 0))
        ])

    public static let simulatePayment = RPCMethod<JobReference, JobStatus>(
        .simulatePayment, role: .admin, summary: "Stub payments only: pay a job's invoice.", result: "JobStatus",
        errors: [
            .application(.notFound, "No job with that id."),
            .application(.stubOnly, "Payments are real; only stub invoices can be simulated."),
        ],
        examples: [RPCExample("an unpaid job", params: JobReference(jobId: E.jobId), result: E.unpaid)])

    public static let userDataRender = RPCMethod<UserDataRenderParams, UserDataRenderResult>(
        .userDataRender, role: .admin,
        summary: "The cloud-init script a node would get, with placeholders for the job's name and Tailscale key.",
        result: "UserDataRenderResult",
        examples: [
            RPCExample(
                "the plan's node", params: UserDataRenderParams(),
                result: UserDataRenderResult(
                    userData: "#!/bin/bash\n…\n", bytes: 14, sha256: String(repeating: "0f", count: 32)))
        ])

    static let teardownErrors: [RPCErrorCase] = [
        .application(.notFound, "No job with that id."),
        .application(.teardownIncomplete, "Some cloud resources could not be deleted; nothing moved (data.detail)."),
    ]

    public static let jobsRetry = RPCMethod<JobReference, AdminJob>(
        .jobsRetry, role: .admin,
        summary: "Provision a failed job again from scratch: its leftovers deleted, new resources, a new key.",
        result: "AdminJob",
        errors: teardownErrors + [.application(.wrongState, "Only a failed job can be retried (data.state).")],
        examples: [RPCExample("a failed job", params: JobReference(jobId: E.jobId), result: E.adminJob)])

    public static let jobsDestroy = RPCMethod<JobReference, AdminJob>(
        .jobsDestroy, role: .admin, summary: "Tear a ready node down (droplet, volume, keys); the job becomes destroyed.",
        result: "AdminJob",
        errors: teardownErrors + [.application(.wrongState, "Only a ready node can be destroyed (data.state).")],
        examples: [RPCExample("a ready node", params: JobReference(jobId: E.jobId), result: E.adminJob)])

    public static let reconcile = RPCMethod<ReconcileParams, ReconcileResult>(
        .reconcile, role: .admin,
        summary: "Cloud droplets, volumes and SSH keys that look like timmyd's but no live job owns; delete: true removes them.",
        result: "ReconcileResult",
        errors: [.application(.upstreamUnavailable, "The cloud provider could not be listed.")],
        examples: [
            RPCExample(
                "one orphaned volume", params: ReconcileParams(delete: false),
                result: ReconcileResult(
                    mode: "real",
                    orphans: [.init(kind: "volume", id: "vol-1", name: "timmy-3f0b6c1e", tags: ["timmy-node"])],
                    deletedCount: 0, errors: []))
        ])

    public static let backup = RPCMethod<NoParams, BackupSummary>(
        .backup, role: .admin,
        summary: "An online copy of the database, checked with integrity_check; the copy follows as "
            + "admin.backup.chunk notifications. The master key is not in it.",
        result: "BackupSummary",
        errors: [.application(.overloaded, "A backup is already running.")],
        examples: [
            RPCExample(
                "a small database", params: NoParams(),
                result: BackupSummary(
                    bytes: 49_152, jobs: 3, sha256: String(repeating: "0f", count: 32), integrityCheck: "ok",
                    masterKeyReminder: "The copy does not hold the master key."))
        ],
        notifications: [
            RPCNotification(
                name: MethodName.backupChunkNotification,
                summary: "The copy's bytes in order, after the reply; they add up to bytes and hash to sha256.",
                params: .ref(BackupChunk.self))
        ])

    public static let events = RPCMethod<OperatorEventsParams, OperatorEventsPage>(
        .events, role: .admin,
        summary: "Operator events (failed jobs, refunds needed or failed, stalled setups, upstream outages, orphans) "
            + "after since; with follow, each new one as an admin.events.event notification.",
        result: "OperatorEventsPage",
        examples: [
            RPCExample(
                "one failed job", params: OperatorEventsParams(),
                result: OperatorEventsPage(
                    events: [
                        OperatorEventEntry(
                            id: 1, kind: "job_failed", at: "2026-01-01T12:00:00Z", jobId: E.jobId,
                            summary: "provisioning failed at phase droplet_created",
                            delivery: .init(state: "delivered", attempts: 1, lastStatus: 200, finishedAt: "2026-01-01T12:00:01Z"))
                    ], lastId: 1))
        ],
        notifications: [
            RPCNotification(
                name: MethodName.eventNotification, summary: "One operator event, as it is recorded (with follow: true).",
                params: .ref(OperatorEventEntry.self))
        ])

    /// Every method, in the order `rpc.discover` lists them.
    public static let all: [AnyRPCMethod] = [
        discover.erased, daemonInfo.erased, create.erased, status.erased, watch.erased, claimKey.erased,
        confirmKey.erased, cancel.erased, refund.erased, jobsList.erased, jobsGet.erased, jobsRefund.erased,
        stats.erased, simulatePayment.erased, userDataRender.erased, jobsRetry.erased, jobsDestroy.erased,
        reconcile.erased, backup.erased, events.erased,
    ]

    /// The description of `name`; every `MethodName` has one (a test holds this).
    public static func described(_ name: MethodName) -> AnyRPCMethod? {
        all.first { $0.name == name }
    }
}
