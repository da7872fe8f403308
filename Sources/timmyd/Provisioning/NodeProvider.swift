import Protocol

/// What one provisioning phase created, to be recorded before the next begins.
struct ProvisionedResources: Sendable, Equatable {
    var doSSHKeyID: String?
    var doVolumeID: String?
    var tailscaleKeyID: String?
    var doDropletID: String?
    var nodeIPv4: String?
    var tailscaleHostname: String?
    var lnbitsURL: String?
    /// The one-off Tailscale auth key, sealed, kept until the droplet that needs it exists.
    var sealedTailscaleAuthKey: [UInt8]?
    /// Wipe the sealed auth key (it is on the droplet now, or no longer needed).
    var wipeTailscaleAuthKey = false
}

/// A provisioning step that cannot succeed. `publicMessage` is fit for the buyer;
/// `detail` (the raw upstream error) is kept for the admin only.
struct ProvisioningFailure: Error, CustomStringConvertible {
    var publicMessage: String
    var detail: String

    var description: String { "\(publicMessage): \(detail)" }
}

/// Makes the buyer's machine: DigitalOcean in production, `StubNodeProvider`
/// without configuration. The provisioner calls `perform` once per phase, in
/// order, and records each outcome before asking for the next.
///
/// - Important: `perform` may be called again for a phase whose outcome was not
///   recorded (the daemon died in between). A real provider must look up the
///   resource by the job's derived name before creating one.
protocol NodeProvider: Sendable {
    var mode: BackendMode { get }
    /// A short human description for admins' `daemon.info` and the log (no secrets).
    var summary: String { get }
    /// What clients' `daemon.info` shows: no upstream address or tailnet name.
    var publicSummary: String { get }
    /// Whether a real node runs the rendered user_data (and so can report its setup).
    var rendersUserData: Bool { get }

    func perform(_ phase: ProvisionPhase, for job: JobRecord) async throws -> ProvisionedResources

    /// Deletes everything the job created; safe to call more than once.
    func tearDown(_ job: JobRecord) async throws

    /// Every cloud resource that looks like timmyd's (tag `timmy-node`, or a `timmy-` name), for reconciling.
    func listResources() async throws -> [CloudResource]

    /// Deletes one resource `listResources` reported; one already gone counts as deleted.
    func delete(_ resource: CloudResource) async throws
}

extension NodeProvider {
    var rendersUserData: Bool { true }
    func listResources() async throws -> [CloudResource] { [] }
    func delete(_ resource: CloudResource) async throws {}
}

/// A droplet, volume or account SSH key in the cloud account, as reconciling sees it.
struct CloudResource: Sendable, Equatable {
    enum Kind: String, Sendable, Comparable {
        // Deleted in this order: a volume is only free once its droplet is gone.
        case droplet, volume, sshKey = "ssh_key"

        private var order: Int { self == .droplet ? 0 : self == .volume ? 1 : 2 }
        static func < (lhs: Kind, rhs: Kind) -> Bool { lhs.order < rhs.order }
    }

    var kind: Kind
    var id: String
    var name: String
    var tags: [String]

    /// The job named by a `timmy-job-<id>` tag, if it carries one.
    var taggedJobID: String? {
        tags.first { $0.hasPrefix("timmy-job-") }.map { String($0.dropFirst("timmy-job-".count)) }
    }
}

extension NodeProvider {
    var publicSummary: String { summary }
}
