import Protocol

/// Provisioning: the job's key pair, each phase's cloud resources, and how a run ends
/// (ready or failed), is retried or destroyed.
extension JobStore {
    /// Keeps the key pair made for a provisioning job. Only the first writer's pair is kept:
    /// nil when the job already has a public key (or is no longer provisioning).
    func storeKeyPair(of id: String, publicKey: String, fingerprint: String, sealedPrivateKey: [UInt8]) throws -> JobRecord? {
        try setColumns(
            of: id, inState: .provisioning, when: "ssh_public_key IS NULL",
            [
                ("ssh_public_key", .text(publicKey)), ("ssh_key_fingerprint", .text(fingerprint)),
                ("ssh_private_key_sealed", .blob(sealedPrivateKey)),
            ])
    }

    /// Records that `phase` completed with what it created, if the job is still provisioning
    /// and still at `previous` (so two writers can never both record a phase). Recording the
    /// droplet wipes the one-off node token: the droplet carries it now.
    func recordPhase(
        _ phase: ProvisionPhase, of id: String, after previous: ProvisionPhase?, resources: ProvisionedResources,
        reason: String
    ) throws -> JobRecord? {
        var columns = resources.columns
        if phase == .dropletCreated { columns.append(("node_token_sealed", .null)) }
        return try phaseRecord(phase, of: id, after: previous, setting: columns, reason: reason)
    }

    /// The last phase is done: provisioning → ready.
    func markReady(_ id: String) throws -> JobRecord? {
        try transition(
            .provisioningSucceeded, of: id, from: .provisioning, actor: nil, reason: "node ready",
            setting: [("ready_at", .integer(Timestamp.now().milliseconds))])
    }

    /// provisioning → failed. The node is gone, so its secrets open nothing: they are wiped,
    /// and a key pair timmyd made is forgotten (a buyer's own public key stays).
    func failProvisioning(_ id: String, failure: JobFailureText, keepPublicKey: Bool, reason: String) throws -> JobRecord? {
        var columns: [(String, SQLValue)] = [
            ("error_public", .text(failure.publicMessage)), ("error_detail", .text(failure.detail)),
            ("ssh_private_key_sealed", .null), ("tailscale_auth_key_sealed", .null), ("node_token_sealed", .null),
        ]
        if !keepPublicKey { columns += [("ssh_public_key", .null), ("ssh_key_fingerprint", .null)] }
        return try transition(.provisioningFailed, of: id, from: .provisioning, actor: nil, reason: reason, setting: columns)
    }

    /// The columns a retry starts over from: the old run's cloud ids, address, error and setup reports.
    static let retryResetColumns = [
        "do_ssh_key_id", "do_volume_id", "do_droplet_id", "tailscale_key_id", "tailscale_auth_key_sealed", "node_ipv4",
        "tailscale_hostname", "lnbits_url", "error_public", "error_detail", "ready_at",
        "node_token_hash", "node_token_sealed", "setup_step", "setup_state", "setup_message", "setup_updated_at",
        "setup_report_count",
    ]

    /// `admin.jobs.retry`: failed → provisioning at `queued`, from scratch. With
    /// `newKeyPair`, the old key pair is forgotten (a new node gets a new one).
    func retryProvisioning(_ id: String, newKeyPair: Bool, actor: ActorUID) throws -> JobRecord? {
        var columns = Self.retryResetColumns.map { ($0, SQLValue.null) }
        columns.append(("provisioning_started_at", .integer(Timestamp.now().milliseconds)))
        if newKeyPair {
            columns += [("ssh_public_key", .null), ("ssh_key_fingerprint", .null), ("ssh_private_key_sealed", .null)]
        }
        return try transition(
            .retryRequested, of: id, from: .failed, actor: actor, reason: "retry requested by an admin", setting: columns,
            phase: .queued)
    }

    /// `admin.jobs.destroy`, after the tear-down: ready → destroyed, and the key is wiped.
    func destroyNode(_ id: String, actor: ActorUID) throws -> JobRecord? {
        try transition(
            .destroyRequested, of: id, from: .ready, actor: actor, reason: "destroyed by an admin",
            setting: [("ssh_private_key_sealed", .null)])
    }
}

extension ProvisionedResources {
    /// The columns one phase's outcome sets.
    fileprivate var columns: [(String, SQLValue)] {
        let pairs: [(String, String?)] = [
            ("do_ssh_key_id", doSSHKeyID), ("do_volume_id", doVolumeID), ("tailscale_key_id", tailscaleKeyID),
            ("do_droplet_id", doDropletID), ("node_ipv4", nodeIPv4), ("tailscale_hostname", tailscaleHostname),
            ("lnbits_url", lnbitsURL),
        ]
        var columns = pairs.compactMap { name, value in value.map { (name, SQLValue.text($0)) } }
        if let sealedTailscaleAuthKey { columns.append(("tailscale_auth_key_sealed", .blob(sealedTailscaleAuthKey))) }
        if wipeTailscaleAuthKey { columns.append(("tailscale_auth_key_sealed", .null)) }
        return columns
    }
}
