import Protocol

/// One row of the `jobs` table. Holds secrets (the sealed private key, the
/// preimage); never serialize it directly: `JobStatusPresenter` and
/// `AdminJobPresenter` decide what leaves the daemon.
struct JobRecord: Sendable {
    var id: String
    var state: JobState
    var phase: ProvisionPhase?
    var label: String?
    var plan: NodePlan
    var amountSats: Int64
    var paymentHash: String
    var paymentRequest: String
    var invoiceExpiresAt: Timestamp
    var paidAt: Timestamp?
    var preimage: String?
    var accessTokenHash: String
    var sshKeyAlgorithm: String
    var sshPublicKey: String?
    var sshKeyFingerprint: String?
    var sealedPrivateKey: [UInt8]?
    var buyerSuppliedKey: Bool
    /// The first delivery of the key (`bootstrap.claimKey`).
    var keyClaimedAt: Timestamp?
    /// Until then the buyer may claim the same key again; then it is wiped. Set at the first claim.
    var keyConfirmBy: Timestamp?
    /// When the sealed key was wiped: confirmed, not confirmed in time, or never claimed.
    var keyWipedAt: Timestamp?
    var doSSHKeyID: String?
    var doVolumeID: String?
    var doDropletID: String?
    var tailscaleKeyID: String?
    /// The one-off auth key's secret, sealed, from its phase until the droplet exists.
    var sealedTailscaleAuthKey: [UInt8]?
    /// The buyer brought their own Tailscale auth key (sealed in `sealedTailscaleAuthKey`
    /// until the droplet exists): no operator key is made, and the node joins the buyer's tailnet.
    var buyerTailscaleKey: Bool
    /// SHA-256 (hex) of the node token the node's setup reports carry; nil: the node reports nothing.
    var nodeTokenHash: String?
    /// The node token itself, sealed, only until the droplet that carries it exists.
    var sealedNodeToken: [UInt8]?
    /// The node's last setup report.
    var setupReport: NodeSetupReport?
    /// How many reports this job's current node has sent.
    var setupReportCount: Int64
    var nodeIPv4: String?
    var tailscaleHostname: String?
    var lnbitsURL: String?
    var publicError: String?
    var errorDetail: String?
    /// A stable word for why the job failed, where one matters to what may follow
    /// (`JobFailure.paymentUnverified`: only an admin may refund it).
    var errorReason: String? = nil
    /// The invoice a refund pays, fixed before the first attempt (see `Refunder`).
    var refundBolt11: String?
    var refundPaymentHash: String?
    var refundAmountSats: Int64?
    var refundedAt: Timestamp?
    var provisioningStartedAt: Timestamp?
    var readyAt: Timestamp?
    var createdAt: Timestamp
    var updatedAt: Timestamp

    /// The `timmy-<id8>` name every resource of this job carries.
    var resourceName: String { "timmy-" + id.prefix(8) }

    /// The tag only this job's cloud resources carry.
    var resourceTag: String { "timmy-job-" + id }

    /// Delivered, and confirmed or past its confirmation window: no longer held.
    var keyDeliveredAndWiped: Bool { keyClaimedAt != nil && sealedPrivateKey == nil }

    /// Whether the job failed because its payment could not be verified.
    var paymentUnverified: Bool { state == .failed && errorReason == JobFailure.paymentUnverified }
}

/// Stable words stored in `error_reason`.
enum JobFailure {
    /// Reported paid, but the amount or preimage did not check out.
    static let paymentUnverified = "payment_unverified"
}

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
