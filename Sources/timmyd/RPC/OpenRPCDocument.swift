import Protocol

/// The OpenRPC description of every method, for `rpc.discover`.
enum OpenRPCDocument {
    private struct Entry {
        let summary: String
        let params: [(name: String, type: String, required: Bool)]
        let result: String
    }

    private static let credentials: [(name: String, type: String, required: Bool)] = [
        ("jobId", "string", true), ("accessToken", "string", true),
    ]

    private static func entry(_ method: MethodName) -> Entry {
        switch method {
        case .discover: Entry(summary: "This document.", params: [], result: "OpenRPC document")
        case .daemonInfo:
            Entry(summary: "Version, payment and provisioning modes, price and plan.", params: [], result: "info")
        case .create:
            Entry(
                summary: "Start a purchase: a new job, its Lightning invoice and its access token (shown once).",
                params: [("label", "string", false), ("sshPublicKey", "string", false), ("tailscaleAuthKey", "string", false)],
                result: "CreateJobResult")
        case .status: Entry(summary: "Where a job stands.", params: credentials, result: "JobStatus")
        case .watch:
            Entry(
                summary: "The status now, then bootstrap.changed notifications until a settled state "
                    + "(for a ready node that reports its setup: until that setup completes or fails).",
                params: credentials, result: "JobStatus")
        case .claimKey:
            Entry(
                summary: "The node's SSH private key: the same key on every claim until its receipt is confirmed "
                    + "(bootstrap.confirmKey) or confirmBy, fixed at the first claim, passes; then it is wiped.",
                params: credentials, result: "ClaimKeyResult")
        case .confirmKey:
            Entry(
                summary: "The buyer saved the key: wipe it now. The fingerprint must be the key's "
                    + "(else fingerprint_mismatch, nothing wiped); only after a claim (else key_not_claimed).",
                params: credentials + [("sshKeyFingerprint", "string", true)], result: "ConfirmKeyResult")
        case .cancel: Entry(summary: "Cancel a job before it is paid.", params: credentials, result: "JobStatus")
        case .refund:
            Entry(
                summary: "A paid job that failed: pay the buyer's invoice (at most the amount paid), exactly once.",
                params: credentials + [("bolt11", "string", true)], result: "JobStatus")
        case .jobsList:
            Entry(
                summary: "Jobs without secrets, newest first.",
                params: [
                    ("state", "string", false), ("limit", "integer", false), ("cursor", "string", false),
                    ("stalled", "boolean", false),
                ],
                result: "{jobs, nextCursor?}")
        case .jobsGet: Entry(summary: "One job with its history.", params: [("jobId", "string", true)], result: "job")
        case .jobsRefund:
            Entry(
                summary: "bootstrap.refund for any job, without its access token.",
                params: [("jobId", "string", true), ("bolt11", "string", true)], result: "JobStatus")
        case .stats:
            Entry(summary: "Counts by state, sats taken, provisioning times, stalled and failed node setups.", params: [], result: "stats")
        case .simulatePayment:
            Entry(summary: "Stub payments only: pay a job's invoice.", params: [("jobId", "string", true)], result: "JobStatus")
        case .userDataRender:
            Entry(
                summary: "The cloud-init script a node would get, with placeholders for the job's name and Tailscale key.",
                params: [("volumeGb", "integer", false), ("tailscale", "boolean", false)],
                result: "{userData, bytes, sha256}")
        case .jobsRetry:
            Entry(
                summary: "Provision a failed job again from scratch: its leftovers deleted, new resources, a new key.",
                params: [("jobId", "string", true)], result: "job")
        case .jobsDestroy:
            Entry(
                summary: "Tear a ready node down (droplet, volume, keys); the job becomes destroyed.",
                params: [("jobId", "string", true)], result: "job")
        case .reconcile:
            Entry(
                summary: "Cloud droplets, volumes and SSH keys that look like timmyd's but no live job owns; delete: true removes them.",
                params: [("delete", "boolean", false)], result: "{mode, orphans, deletedCount, errors}")
        case .backup:
            Entry(
                summary: "An online copy of the database, checked with integrity_check; the copy follows as admin.backup.chunk notifications {offset, data (base64)}. The master key is not in it.",
                params: [], result: "{bytes, jobs, sha256, integrityCheck, masterKeyReminder}")
        case .events:
            Entry(
                summary: "Operator events (job_failed, refund_needed, refund_failed, setup_stalled, upstream_down, reconcile_orphans) with an id above since, and their webhook delivery; follow: true sends each later one as an admin.events.event notification.",
                params: [("since", "integer", false), ("limit", "integer", false), ("follow", "boolean", false)],
                result: "{events, lastId}")
        }
    }

    static func make() -> JSONValue {
        let methods: [JSONValue] = MethodName.allCases.map { method in
            let entry = entry(method)
            return [
                "name": .string(method.rawValue), "summary": .string(entry.summary), "paramStructure": "by-name",
                "x-role": .string(method.requiredRole.rawValue),
                "params": .array(
                    entry.params.map {
                        ["name": .string($0.name), "required": .bool($0.required), "schema": ["type": .string($0.type)]]
                    }),
                "result": ["name": .string(entry.result), "schema": ["type": "object"]],
            ]
        }
        return [
            "openrpc": "1.3.2",
            "info": ["title": "timmyd", "version": .string(TimmyVersion.string)],
            "methods": .array(methods),
        ]
    }
}
