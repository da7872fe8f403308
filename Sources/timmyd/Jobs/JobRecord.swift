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
