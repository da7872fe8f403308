import Protocol

/// Reading a `jobs` row: the column names live here, with the rest of the store.
extension JobRecord {
    init(row: SQLRow) throws {
        func required<T>(_ value: T?, _ column: String) throws -> T {
            guard let value else { throw StoreError.corruptRow(column: column) }
            return value
        }
        id = try required(row.string("id"), "id")
        state = try required(row.string("state").flatMap(JobState.init(rawValue:)), "state")
        phase = row.string("phase").flatMap(ProvisionPhase.init(rawValue:))
        label = row.string("label")
        plan = NodePlan(
            region: try required(row.string("region"), "region"), size: try required(row.string("size"), "size"),
            image: try required(row.string("image"), "image"),
            volumeSizeGB: try required(row.int("volume_size_gb"), "volume_size_gb"))
        amountSats = try required(row.int("amount_sats"), "amount_sats")
        paymentHash = try required(row.string("payment_hash"), "payment_hash")
        paymentRequest = try required(row.string("payment_request"), "payment_request")
        invoiceExpiresAt = Timestamp(milliseconds: try required(row.int("invoice_expires_at"), "invoice_expires_at"))
        paidAt = row.int("paid_at").map(Timestamp.init(milliseconds:))
        preimage = row.string("preimage")
        accessTokenHash = try required(row.string("access_token_hash"), "access_token_hash")
        sshKeyAlgorithm = try required(row.string("ssh_key_algorithm"), "ssh_key_algorithm")
        sshPublicKey = row.string("ssh_public_key")
        sshKeyFingerprint = row.string("ssh_key_fingerprint")
        sealedPrivateKey = row.blob("ssh_private_key_sealed")
        buyerSuppliedKey = row.int("buyer_supplied_key") == 1
        keyClaimedAt = row.int("key_claimed_at").map(Timestamp.init(milliseconds:))
        keyConfirmBy = row.int("key_confirm_by").map(Timestamp.init(milliseconds:))
        keyWipedAt = row.int("key_wiped_at").map(Timestamp.init(milliseconds:))
        doSSHKeyID = row.string("do_ssh_key_id")
        doVolumeID = row.string("do_volume_id")
        doDropletID = row.string("do_droplet_id")
        tailscaleKeyID = row.string("tailscale_key_id")
        sealedTailscaleAuthKey = row.blob("tailscale_auth_key_sealed")
        buyerTailscaleKey = row.int("buyer_tailscale_key") == 1
        nodeTokenHash = row.string("node_token_hash")
        sealedNodeToken = row.blob("node_token_sealed")
        setupReport = NodeSetupReport(row: row)
        setupReportCount = row.int("setup_report_count") ?? 0
        nodeIPv4 = row.string("node_ipv4")
        tailscaleHostname = row.string("tailscale_hostname")
        lnbitsURL = row.string("lnbits_url")
        publicError = row.string("error_public")
        errorDetail = row.string("error_detail")
        errorReason = row.string("error_reason")
        refundBolt11 = row.string("refund_bolt11")
        refundPaymentHash = row.string("refund_payment_hash")
        refundAmountSats = row.int("refund_amount_sats")
        refundedAt = row.int("refunded_at").map(Timestamp.init(milliseconds:))
        provisioningStartedAt = row.int("provisioning_started_at").map(Timestamp.init(milliseconds:))
        readyAt = row.int("ready_at").map(Timestamp.init(milliseconds:))
        createdAt = Timestamp(milliseconds: try required(row.int("created_at"), "created_at"))
        updatedAt = Timestamp(milliseconds: try required(row.int("updated_at"), "updated_at"))
    }
}

extension NodeSetupReport {
    /// The last report stored on a job row, if there is one.
    init?(row: SQLRow) {
        guard let step = row.string("setup_step").flatMap(NodeSetupStep.init(rawValue:)),
            let state = row.string("setup_state").flatMap(NodeSetupState.init(rawValue:)),
            let at = row.int("setup_updated_at")
        else { return nil }
        self.init(step: step, state: state, message: row.string("setup_message"), at: Timestamp(milliseconds: at))
    }
}
