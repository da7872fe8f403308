import Logging
import Protocol

/// Builds buyers' nodes on DigitalOcean, joined to a tailnet when Tailscale is configured.
///
/// Every resource carries names and tags derived from the job: name `timmy-<id8>`,
/// tags `timmy-job-<id>` and `timmy-node`. Each phase first looks its resource up
/// by those (SSH key by fingerprint, volume by name and region, droplet by the job
/// tag) and creates it only when it is not there, so a phase repeated after a crash,
/// or a create whose reply was lost, never makes a second one.
///
/// - Important: the Tailscale auth key's secret is returned by Tailscale only once,
///   while the droplet that needs it is created in a later phase. Creating the key
///   inside the droplet phase would leave a key unrecorded (and unrevokable) by a
///   crash between the two calls; so the key gets its own phase, and its secret is
///   stored sealed (AES-256-GCM under the master key, bound to the job) in the same
///   guarded update that records its id. The droplet phase opens it for user_data
///   and wipes it in the update that records the droplet.
struct DigitalOceanNodeProvider: NodeProvider {
    let digitalOcean: DigitalOceanClient
    let tailscale: TailscaleClient?
    let tailscaleTags: [String]
    let tailscaleKeyExpirySeconds: Int64
    let vault: KeyVault
    /// How long a new droplet may take to be active with a public IPv4, from the start of its phase.
    let activeTimeoutMilliseconds: Int64
    /// First wait between readiness polls; it grows by half each poll, up to 30 s.
    let pollIntervalMilliseconds: Int64
    let sleeper: RetrySleeper
    let logger: Logger
    /// The container images written into every node's user_data.
    var nodeImages = NodeImages.pinned
    /// Where nodes report their setup; without a callback URL they report nothing.
    var nodeSetup = NodeSetupSettings()

    static let commonTag = "timmy-node"
    static let namePrefix = "timmy-"
    /// Looking up and creating again after a create with an unknown outcome, at most this often.
    static let createAttempts = 4

    var mode: BackendMode { .real }
    var summary: String {
        "DigitalOcean at \(digitalOcean.baseURL)" + (tailscale.map { ", Tailscale tailnet \($0.tailnet)" } ?? ", no Tailscale")
    }
    var publicSummary: String { "DigitalOcean" + (tailscale == nil ? ", no Tailscale" : ", Tailscale") }

    func perform(_ phase: ProvisionPhase, for job: JobRecord) async throws -> ProvisionedResources {
        do {
            return try await performUnmapped(phase, for: job)
        } catch var failure as ProvisioningFailure {
            failure.detail = "\(phase.rawValue): \(failure.detail)"
            throw failure
        } catch {
            // A shutdown cancels the sleeps and calls: that is no failure, the job resumes later.
            if Task.isCancelled || error is CancellationError { throw CancellationError() }
            throw ProvisioningFailure(
                publicMessage: "The cloud provider could not build the node.",
                detail: "\(phase.rawValue): \(error)")
        }
    }

    private func performUnmapped(_ phase: ProvisionPhase, for job: JobRecord) async throws -> ProvisionedResources {
        switch phase {
        case .queued: return ProvisionedResources()
        case .sshKeyUploaded: return ProvisionedResources(doSSHKeyID: try await ensureSSHKey(for: job).id)
        case .volumeCreated:
            guard job.plan.volumeSizeGB > 0 else { return ProvisionedResources() }
            return ProvisionedResources(doVolumeID: try await ensureVolume(for: job).id)
        case .tailscaleKeyCreated:
            // A buyer who brought their own auth key joins their own tailnet: no operator key.
            guard let tailscale, !job.buyerTailscaleKey else { return ProvisionedResources() }
            // Not looked up first: a key is useless without its secret, which only the
            // create answer shows. A key made by a run that died before recording it is
            // found by its description and revoked once the node is up (or at tear-down),
            // and expires soon anyway.
            let key = try await tailscale.createAuthKey(
                tags: tailscaleTags, expirySeconds: tailscaleKeyExpirySeconds, description: job.resourceName)
            let sealed = try vault.box.seal(Array(key.key.reveal().utf8), associatedData: Self.tailscaleAAD(job))
            return ProvisionedResources(tailscaleKeyID: key.id, sealedTailscaleAuthKey: sealed)
        case .dropletCreated:
            let droplet = try await ensureDroplet(for: job)
            return ProvisionedResources(doDropletID: droplet.id, wipeTailscaleAuthKey: true)
        case .dropletActive:
            let droplet = try await waitUntilActive(job)
            let hostname = tailscale == nil && !job.buyerTailscaleKey ? nil : job.resourceName
            return ProvisionedResources(
                nodeIPv4: droplet.publicIPv4, tailscaleHostname: hostname, lnbitsURL: hostname.map { "http://\($0):5000" })
        case .accountKeyRemoved:
            // The key is on the droplet now; the account copy only widens what a leaked token opens.
            if let id = job.doSSHKeyID { try await deleteOwnSSHKey(id, of: job) }
            // Tidying after a crashed or timed-out run: worth a try, not worth failing a
            // working node over (`admin.reconcile` reports a stray droplet later).
            do {
                try await deleteStrayDroplets(of: job)
                try await revokeStrayTailscaleKeys(of: job)
            } catch {
                if Task.isCancelled { throw CancellationError() }
                logger.warning("could not tidy strays", metadata: ["job": "\(job.id)", "error": "\(error)"])
            }
            return ProvisionedResources()
        }
    }

    // MARK: Phases

    private func ensureSSHKey(for job: JobRecord) async throws -> DOSSHKey {
        guard let publicKey = job.sshPublicKey, let fingerprint = SSHFingerprint.md5(ofPublicKeyLine: publicKey) else {
            throw ProvisioningFailure(publicMessage: "The node could not be built.", detail: "the job has no usable SSH public key")
        }
        return try await lookUpOrCreate(
            "ssh key", job: job,
            lookup: { try await digitalOcean.sshKey(fingerprint) },
            create: { try await digitalOcean.createSSHKey(name: job.resourceName, publicKey: publicKey) })
    }

    private func ensureVolume(for job: JobRecord) async throws -> DOVolume {
        let tags = [Self.commonTag, job.resourceTag]
        return try await lookUpOrCreate(
            "volume", job: job,
            lookup: {
                let found = try await digitalOcean.volumes(named: job.resourceName, region: job.plan.region)
                if let other = found.first(where: { !$0.tags.isEmpty && !$0.tags.contains(job.resourceTag) }) {
                    throw ProvisioningFailure(
                        publicMessage: "The node could not be built.",
                        detail: "volume \(other.name) (\(other.id)) belongs to another job (tags \(other.tags))")
                }
                return found.first
            },
            create: {
                try await digitalOcean.createVolume(
                    name: job.resourceName, region: job.plan.region, sizeGigabytes: job.plan.volumeSizeGB, tags: tags,
                    description: "timmyd node \(job.id)")
            })
    }

    private func ensureDroplet(for job: JobRecord) async throws -> DODroplet {
        let request = try dropletRequest(for: job)
        // Droplet names are not unique, so a 409/422 here is a refusal, not a sign it exists.
        return try await lookUpOrCreate(
            "droplet", job: job, conflictMeansExists: false, lookup: { try await existingDroplet(of: job) },
            create: { try await digitalOcean.createDroplet(request) })
    }

    func dropletRequest(for job: JobRecord) throws -> DODropletRequest {
        var authKey: String? = nil
        var tags = tailscale == nil ? [] : tailscaleTags
        if job.buyerTailscaleKey {
            // The buyer's own key carries whatever tags the buyer gave it: advertise none of ours.
            // After a failed run it was wiped; then the node joins no tailnet.
            tags = []
            if let sealed = job.sealedTailscaleAuthKey {
                authKey = String(decoding: try vault.box.open(sealed, associatedData: Self.tailscaleAAD(job)), as: UTF8.self)
            }
        } else if tailscale != nil, job.tailscaleKeyID != nil {
            guard let sealed = job.sealedTailscaleAuthKey else {
                throw ProvisioningFailure(
                    publicMessage: "The node could not be built.", detail: "the Tailscale auth key is no longer held")
            }
            authKey = String(decoding: try vault.box.open(sealed, associatedData: Self.tailscaleAAD(job)), as: UTF8.self)
        }
        let setupReport = try NodeSetupReportTarget(job: job, settings: nodeSetup, vault: vault)
        let inputs = NodeUserDataInputs(
            job: job, tailscaleAuthKey: authKey, tailscaleTags: tags, setupReport: setupReport, images: nodeImages)
        let userData: String
        do {
            userData = try UserDataRenderer.render(inputs)
        } catch {
            throw ProvisioningFailure(publicMessage: "The node could not be built.", detail: "user_data: \(error)")
        }
        return DODropletRequest(
            name: job.resourceName, region: job.plan.region, size: job.plan.size, image: job.plan.image,
            sshKeys: job.doSSHKeyID.map { [$0] } ?? [], volumeIDs: job.doVolumeID.map { [$0] } ?? [],
            tags: [Self.commonTag, job.resourceTag], userData: userData)
    }

    static func tailscaleAAD(_ job: JobRecord) -> [UInt8] { tailscaleAAD(jobID: job.id) }
    static func tailscaleAAD(jobID: String) -> [UInt8] { Array("tailscale-auth-key:\(jobID)".utf8) }
}
