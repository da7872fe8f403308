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

    var columns: [(String, SQLValue)] {
        let pairs: [(String, String?)] = [
            ("do_ssh_key_id", doSSHKeyID), ("do_volume_id", doVolumeID), ("tailscale_key_id", tailscaleKeyID),
            ("do_droplet_id", doDropletID), ("node_ipv4", nodeIPv4), ("tailscale_hostname", tailscaleHostname),
            ("lnbits_url", lnbitsURL),
        ]
        return pairs.compactMap { name, value in value.map { (name, SQLValue.text($0)) } }
    }
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
    var summary: String { get }

    func perform(_ phase: ProvisionPhase, for job: JobRecord) async throws -> ProvisionedResources

    /// Deletes everything the job created; safe to call more than once.
    func tearDown(_ job: JobRecord) async throws
}
