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

/// What a payment that arrives after its job expired or was cancelled does.
enum LatePaymentPolicy: String, Sendable, CaseIterable {
    /// Build the node anyway: the buyer paid.
    case provision
    /// Build nothing; the job becomes `failed` and the buyer may ask for a refund.
    case refund
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
    var latePaymentPolicy: LatePaymentPolicy
    var paymentPollIntervalMilliseconds: Int64
    var sshKeyAlgorithm: SSHKeyAlgorithm
    /// An unclaimed private key is wiped this long after the node became ready.
    var keyRetentionSeconds: Int64
    /// After its first claim a key may be claimed again (the same key) for this long,
    /// unless the buyer confirms receipt first; then it is wiped.
    var keyConfirmWindowSeconds: Int64

    var stubProvisionDelayMilliseconds: Int64
    /// Makes the stub provider fail at this phase: for trying the failure path.
    var stubProvisionFailAt: ProvisionPhase?

    /// An online backup copies this many database pages per step, and pauses this long
    /// between steps, so other calls get the database in between.
    var backupPagesPerStep: Int64 = 256
    var backupStepPauseMilliseconds: Int64 = 5

    /// Fault injection for crash tests: the daemon kills itself (SIGKILL) right after
    /// a job's provisioning reaches this recorded phase. Never set in production.
    var faultCrashAfterPhase: ProvisionPhase?
    /// Fault injection: SIGKILL right after a refund payment call returns, before its outcome is recorded.
    var faultCrashAfterRefundSent = false
    /// Fault injection for crash tests: SIGKILL right after this phase's upstream calls
    /// returned, before the outcome is recorded (a restart must find, not re-create).
    var faultCrashBeforeRecording: ProvisionPhase?
    /// Fault injection: the stub payment backend misreports paid invoices this way.
    var faultStubPaymentReport: StubPaymentFault? = nil
    /// Fault injection: a background service fails this many milliseconds after the
    /// daemon starts serving (0: off), to prove one failure stops the whole daemon.
    var faultServiceFailsAfterMilliseconds: Int64 = 0

    var lnbits: LNbitsSettings?
    var digitalOcean: DigitalOceanSettings?
    var tailscale: TailscaleSettings?

    var requireReal: Bool
    var logLevel: Logger.Level

    var http = HTTPSettings()
    /// The container images every node runs (`NODE_BITCOIN_IMAGE`, `NODE_LND_IMAGE`, `NODE_LNBITS_IMAGE`).
    var nodeImages = NodeImages.pinned
    var nodeSetup = NodeSetupSettings()
    var callerLimits = CallerLimits()
    /// Operator events and their webhook (`ALERT_*`).
    var alerts = AlertSettings()
    /// `METRICS_LISTEN`: where Prometheus scrapes `/metrics`; nil (the default) serves none.
    var metricsListen: MetricsListenAddress? = nil

    var paymentsAreStubbed: Bool { lnbits == nil }
    var provisioningIsStubbed: Bool { digitalOcean == nil }
}

/// Limits for HTTP callers (a web proxy in front of the socket).
struct HTTPSettings: Sendable {
    /// Take the client address from `X-Forwarded-For`. Only a proxy that replaces the
    /// header (nginx: `proxy_set_header X-Forwarded-For $remote_addr`) makes it
    /// trustworthy; otherwise every HTTP caller counts as the one address "unix".
    var trustForwardedFor = false
    /// Jobs awaiting payment per client address; 0 turns the cap off.
    var maximumUnpaidPerAddress: Int64 = 3
    var unpaidLimit: Int64? { maximumUnpaidPerAddress > 0 ? maximumUnpaidPerAddress : nil }
    var maximumBodyBytes = 16 * 1024
    /// A request's head and body must arrive within this time, and a kept-alive
    /// connection may wait this long for its next request.
    var requestTimeoutSeconds: Int64 = 30
    /// A comment line on an event stream this often, so proxies and browsers keep it open.
    var eventStreamKeepAliveSeconds: Int64 = 15
    /// HTTP connections serving one client address at once (a connection counts for
    /// the address of its latest request).
    var maximumConnectionsPerAddress = 32
    /// Open event streams per client address.
    var maximumStreamsPerAddress = 8
}

/// Nodes reporting their own setup back to timmyd.
struct NodeSetupSettings: Sendable {
    /// The web front's public base URL as a node reaches it (`NODE_CALLBACK_URL`); nil: nodes report nothing.
    var callbackURL: String?
    /// A ready node with no report for this long (and its setup neither complete nor failed) is stalled.
    var stallSeconds: Int64 = 45 * 60

    var reportsEnabled: Bool { callbackURL != nil }

    /// A node whose last report is older than this, at `now`, is stalled.
    func stallCutoff(now: Timestamp = .now()) -> Timestamp { now.adding(seconds: -stallSeconds) }

    /// Where one job's node posts its reports.
    func reportURL(jobID: String) -> String? {
        callbackURL.map { "\($0)/api/nodes/\(jobID)/setup" }
    }
}
