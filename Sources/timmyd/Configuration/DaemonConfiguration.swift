import Logging
import Protocol

/// The droplet every buyer gets.
struct NodePlan: Sendable, Equatable {
    var region: String
    var size: String
    var image: String
    /// 0 means no block volume.
    var volumeSizeGB: Int64
}

struct LNbitsSettings: Sendable {
    var url: String
    var invoiceKey: Secret
    var adminKey: Secret?
}

struct DigitalOceanSettings: Sendable {
    var apiURL: String
    var token: Secret
    /// A new droplet must be active with a public IPv4 within this long, or the job fails.
    var dropletActiveTimeoutSeconds: Int64 = 600
    /// First wait between droplet status polls (it grows from there).
    var dropletPollIntervalMilliseconds: Int64 = 5000
    /// Each DigitalOcean and Tailscale call, connect included.
    var httpTimeoutMilliseconds: Int64 = 30_000
    /// Attempts per call on 429, 5xx and transport errors, the first included.
    var retryAttempts: Int64 = 5
    /// First backoff before a retry; it doubles per attempt (with jitter), up to 30 s.
    var retryBaseDelayMilliseconds: Int64 = 1000
}

struct TailscaleSettings: Sendable {
    var apiURL: String
    var apiKey: Secret
    var tailnet: String
    /// ACL tags every node's auth key carries (`tag:…`).
    var tags: [String] = ["tag:timmy-node"]
    /// Lifetime of each one-off auth key.
    var keyExpirySeconds: Int64 = 3600
}

/// Everything timmyd reads at start-up. See `etc/timmyd.env` for each variable.
struct DaemonConfiguration: Sendable {
    var socketPath: String
    var stateDirectory: String
    /// Group that owns the socket file; nil keeps the daemon's own group.
    var socketGroup: String?
    var socketMode: UInt32
    /// Members of this group are admins, besides root and the daemon's own uid.
    var adminGroup: String?
    var maximumRequestBytes: Int
    var maximumConnections: Int
    var idleTimeoutSeconds: Int64

    var plan: NodePlan
    var priceSats: Int64
    var invoiceExpirySeconds: Int64
    var latePaymentGraceSeconds: Int64
    var paymentPollIntervalMilliseconds: Int64
    var sshKeyAlgorithm: SSHKeyAlgorithm
    /// An unclaimed private key is wiped this long after the node became ready.
    var keyRetentionSeconds: Int64

    var stubProvisionDelayMilliseconds: Int64
    /// Makes the stub provider fail at this phase: for trying the failure path.
    var stubProvisionFailAt: ProvisionPhase?

    /// Fault injection for crash tests: the daemon kills itself (SIGKILL) right after
    /// a job's provisioning reaches this recorded phase. Never set in production.
    var faultCrashAfterPhase: ProvisionPhase?
    /// Fault injection for crash tests: SIGKILL right after this phase's upstream calls
    /// returned, before the outcome is recorded (a restart must find, not re-create).
    var faultCrashBeforeRecording: ProvisionPhase?

    var lnbits: LNbitsSettings?
    var digitalOcean: DigitalOceanSettings?
    var tailscale: TailscaleSettings?

    var requireReal: Bool
    var logLevel: Logger.Level

    var paymentsAreStubbed: Bool { lnbits == nil }
    var provisioningIsStubbed: Bool { digitalOcean == nil }
}
