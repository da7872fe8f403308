import Logging
import Protocol

/// Finding a job's resources before creating them, and removing strays a crashed
/// or timed-out run left behind.
extension DigitalOceanNodeProvider {
    /// The job's droplet, found by its tag. Should a second one ever exist, the
    /// extras are deleted: a job never keeps more than one machine.
    func existingDroplet(of job: JobRecord) async throws -> DODroplet? {
        let found = try await digitalOcean.droplets(tagged: job.resourceTag).sorted { (Int64($0.id) ?? 0) < (Int64($1.id) ?? 0) }
        for extra in found.dropFirst() {
            logger.error("deleting a duplicate droplet", metadata: ["job": "\(job.id)", "droplet": "\(extra.id)"])
            try await digitalOcean.deleteDroplet(extra.id)
        }
        return found.first
    }

    /// Deletes the account SSH key `id` if this job uploaded it (it carries the job's
    /// name). A buyer's own key may already be on the operator's account under another
    /// name: the phase then reuses that key, and it is never deleted.
    func deleteOwnSSHKey(_ id: String, of job: JobRecord) async throws {
        guard let key = try await digitalOcean.sshKey(id) else { return }
        guard key.name == job.resourceName else {
            logger.notice("keeping an account SSH key timmyd did not upload", metadata: ["job": "\(job.id)", "key": "\(id)"])
            return
        }
        try await digitalOcean.deleteSSHKey(id)
    }

    /// Deletes droplets with the job's tag other than the recorded one: a create that
    /// timed out and was carried out later anyway. (Volume names and account keys are
    /// unique, so a late second create of those fails instead.)
    func deleteStrayDroplets(of job: JobRecord) async throws {
        guard let recorded = job.doDropletID else { return }
        for droplet in try await digitalOcean.droplets(tagged: job.resourceTag) where droplet.id != recorded {
            logger.error("deleting a stray droplet", metadata: ["job": "\(job.id)", "droplet": "\(droplet.id)"])
            try await digitalOcean.deleteDroplet(droplet.id)
        }
    }

    /// Revokes the job's auth keys other than the recorded one: made by a run that died
    /// before recording its key. The recorded key stays, since the node may not have
    /// used it yet; it is one-off and expires soon.
    func revokeStrayTailscaleKeys(of job: JobRecord) async throws {
        guard let tailscale else { return }
        for key in try await tailscale.keys()
        where key.description == job.resourceName && !key.revoked && key.id != job.tailscaleKeyID {
            try await tailscale.revokeKey(key.id)
        }
    }

    /// Looks the resource up and creates it only when absent. A create whose outcome is
    /// unknown (a lost reply, a timeout, a 5xx) is followed by another lookup, never by a
    /// blind second create; so is a conflict (the name was taken meanwhile, by us).
    /// After a timeout the server may still be working on the request, so the lookup is
    /// repeated for twice the call's timeout before a second create is risked.
    func lookUpOrCreate<T: Sendable>(
        _ what: String, job: JobRecord, conflictMeansExists: Bool = true, lookup: () async throws -> T?,
        create: () async throws -> T
    ) async throws -> T {
        var attempt = 1
        var settleUntil: Timestamp? = nil
        while true {
            if let found = try await lookup() {
                if attempt > 1 { logger.info("found the \(what) after an unclear create", metadata: ["job": "\(job.id)"]) }
                return found
            }
            if let until = settleUntil, Timestamp.now() < until {
                try await sleeper(min(1000, max(1, until.milliseconds - Timestamp.now().milliseconds)))
                continue
            }
            do {
                return try await create()
            } catch let error as DigitalOceanError
                where attempt < Self.createAttempts
                    && (error.outcomeUnknown || (conflictMeansExists && attempt == 1 && [409, 422].contains(error.status ?? 0)))
            {
                logger.warning(
                    "\(what) create unclear; looking it up before trying again",
                    metadata: ["job": "\(job.id)", "error": "\(error)"])
                if error == .timeout {
                    settleUntil = Timestamp.now().adding(milliseconds: Int64(digitalOcean.timeoutMilliseconds) * 2)
                }
                try await sleeper(digitalOcean.http.policy.backoff(attempt: attempt))
                attempt += 1
            }
        }
    }
}
