import Protocol

/// Pretends to build a node, for trying timmyd without a DigitalOcean token: each
/// phase waits its share of the configured delay and "creates" fake resources.
/// The address is from 192.0.2.0/24 (RFC 5737, documentation only).
struct StubNodeProvider: NodeProvider {
    let totalDelayMilliseconds: Int64
    /// Fail at this phase, to try the failure path.
    let failAt: ProvisionPhase?

    var mode: BackendMode { .stub }
    /// No machine runs anything, so no node token is made: its status says setup is not reported.
    var rendersUserData: Bool { false }
    var summary: String { "stub provisioning (no DO_API_TOKEN): nodes get an RFC 5737 address and a fake tailnet name" }

    func perform(_ phase: ProvisionPhase, for job: JobRecord) async throws -> ProvisionedResources {
        let steps = Int64(ProvisionPhase.allCases.count - 1)
        try await Task.sleep(for: .milliseconds(totalDelayMilliseconds / steps))
        if phase == failAt {
            throw ProvisioningFailure(
                publicMessage: "The node could not be built.", detail: "stub provider told to fail at \(phase.rawValue)")
        }
        let name = job.resourceName
        switch phase {
        case .queued: return ProvisionedResources()
        case .sshKeyUploaded: return ProvisionedResources(doSSHKeyID: "stub-key-\(name)")
        case .volumeCreated:
            return job.plan.volumeSizeGB > 0 ? ProvisionedResources(doVolumeID: "stub-volume-\(name)") : ProvisionedResources()
        case .tailscaleKeyCreated:
            // A buyer's own auth key needs no key from the operator.
            return job.buyerTailscaleKey ? ProvisionedResources() : ProvisionedResources(tailscaleKeyID: "stub-tskey-\(name)")
        case .dropletCreated: return ProvisionedResources(doDropletID: "stub-droplet-\(name)")
        case .dropletActive:
            let host = 1 + Int(job.id.utf8.reduce(UInt32(0)) { $0 &* 31 &+ UInt32($1) } % 254)
            return ProvisionedResources(
                nodeIPv4: "192.0.2.\(host)", tailscaleHostname: "\(name).tailnet-stub.ts.net",
                lnbitsURL: "https://\(name).tailnet-stub.ts.net:5000")
        case .accountKeyRemoved: return ProvisionedResources()
        }
    }

    func tearDown(_ job: JobRecord) async throws {}
}
