import Logging
import Protocol

/// Tearing a job's resources down, and the account-wide view for reconciling.
extension DigitalOceanNodeProvider {
    /// Deletes the job's droplet, volume and account SSH key and revokes its Tailscale
    /// key: the recorded ids, and whatever else carries the job's tag or name (a
    /// resource whose create answer was lost). Idempotent: gone counts as deleted.
    /// Tries every resource even when one fails, then reports what is left.
    func tearDown(_ job: JobRecord) async throws {
        var problems: [String] = []
        func attempt(_ what: String, _ body: () async throws -> Void) async {
            do { try await body() } catch { problems.append("\(what): \(error)") }
        }

        var dropletIDs = Set([job.doDropletID].compactMap { $0 })
        await attempt("listing droplets") {
            for droplet in try await digitalOcean.droplets(tagged: job.resourceTag) { dropletIDs.insert(droplet.id) }
        }
        for id in dropletIDs.sorted() {
            await attempt("droplet \(id)") { try await digitalOcean.deleteDroplet(id) }
        }

        var volumeIDs = Set([job.doVolumeID].compactMap { $0 })
        await attempt("listing volumes") {
            for volume in try await digitalOcean.volumes(named: job.resourceName, region: job.plan.region)
            where volume.tags.isEmpty || volume.tags.contains(job.resourceTag) {
                volumeIDs.insert(volume.id)
            }
        }
        // While a droplet could not be deleted its volume stays attached: one try, no waiting.
        let dropletsGone = problems.isEmpty
        for id in volumeIDs.sorted() {
            await attempt("volume \(id)") {
                if dropletsGone { try await deleteVolumeOnceDetached(id) } else { try await digitalOcean.deleteVolume(id) }
            }
        }

        await attempt("account ssh key") {
            if let id = job.doSSHKeyID { try await deleteOwnSSHKey(id, of: job) }
            if let line = job.sshPublicKey, let fingerprint = SSHFingerprint.md5(ofPublicKeyLine: line),
                let key = try await digitalOcean.sshKey(fingerprint), key.name == job.resourceName
            {
                try await digitalOcean.deleteSSHKey(key.id)
            }
        }

        if let tailscale {
            await attempt("tailscale key") {
                if let id = job.tailscaleKeyID { try await tailscale.revokeKey(id) }
                // A key whose create answer was lost is known only by its description.
                for key in try await tailscale.keys() where key.description == job.resourceName && !key.revoked {
                    try await tailscale.revokeKey(key.id)
                }
            }
        }
        guard problems.isEmpty else {
            throw ProvisioningFailure(
                publicMessage: "Some of the node's cloud resources could not be removed yet.",
                detail: problems.joined(separator: "; "))
        }
    }

    /// DigitalOcean refuses to delete a volume while it is attached, and detaching
    /// follows a droplet's deletion only after a moment: try again for a while.
    private func deleteVolumeOnceDetached(_ id: String) async throws {
        for attempt in 1...8 {
            let failure: DigitalOceanError
            do {
                try await digitalOcean.deleteVolume(id)
                return
            } catch {
                failure = error
            }
            guard attempt < 8, [409, 412, 422].contains(failure.status ?? 0) else { throw failure }
            try await sleeper(min(500 * Int64(1 << (attempt - 1)), 10_000))
        }
    }

    // MARK: Reconciling

    func listResources() async throws -> [CloudResource] {
        func ours(_ name: String, _ tags: [String]) -> Bool {
            tags.contains(Self.commonTag) || name.hasPrefix(Self.namePrefix)
        }
        var resources: [CloudResource] = []
        for droplet in try await digitalOcean.droplets() where ours(droplet.name, droplet.tags) {
            resources.append(CloudResource(kind: .droplet, id: droplet.id, name: droplet.name, tags: droplet.tags))
        }
        for volume in try await digitalOcean.volumes() where ours(volume.name, volume.tags) {
            resources.append(CloudResource(kind: .volume, id: volume.id, name: volume.name, tags: volume.tags))
        }
        for key in try await digitalOcean.sshKeys() where key.name.hasPrefix(Self.namePrefix) {
            resources.append(CloudResource(kind: .sshKey, id: key.id, name: key.name, tags: []))
        }
        return resources
    }

    func delete(_ resource: CloudResource) async throws {
        switch resource.kind {
        case .droplet: try await digitalOcean.deleteDroplet(resource.id)
        case .volume: try await deleteVolumeOnceDetached(resource.id)
        case .sshKey: try await digitalOcean.deleteSSHKey(resource.id)
        }
    }
}
