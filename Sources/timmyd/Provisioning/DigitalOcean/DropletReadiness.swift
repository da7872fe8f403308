import Protocol

extension DigitalOceanNodeProvider {
    /// Polls the job's droplet, waiting longer each time, until it is `active` with a
    /// public IPv4, or fails the job at the deadline. The deadline counts from the
    /// start of the phase (after a restart, from the restart).
    func waitUntilActive(_ job: JobRecord) async throws -> DODroplet {
        guard let id = job.doDropletID else {
            throw ProvisioningFailure(publicMessage: "The node could not be built.", detail: "no droplet id recorded")
        }
        let deadline = Timestamp.now().adding(milliseconds: activeTimeoutMilliseconds)
        var interval = pollIntervalMilliseconds
        var last = "unknown"
        while true {
            guard let droplet = try await digitalOcean.droplet(id) else {
                throw ProvisioningFailure(
                    publicMessage: "The server was removed while it was being set up.",
                    detail: "droplet \(id) no longer exists")
            }
            if droplet.isActive { return droplet }
            last = droplet.status + (droplet.publicIPv4 == nil ? ", no public IPv4" : "")
            let remaining = deadline.milliseconds - Timestamp.now().milliseconds
            guard remaining > 0 else {
                throw ProvisioningFailure(
                    publicMessage: "The server did not start in time.",
                    detail: "droplet \(id) still \(last) after \(activeTimeoutMilliseconds / 1000) s")
            }
            try await sleeper(min(interval, remaining))
            interval = min(interval * 3 / 2, 30_000)
        }
    }
}
