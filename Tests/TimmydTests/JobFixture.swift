import Protocol

@testable import timmyd

extension JobRecord {
    /// A job with every column filled plausibly; tests change what they look at.
    static func fixture(state: JobState, phase: ProvisionPhase? = nil) -> JobRecord {
        JobRecord(
            id: "0f4e2a9c-1b3d-4e5f-8a7b-6c5d4e3f2a1b", state: state, phase: phase, label: "label",
            plan: NodePlan(region: "nyc3", size: "s", image: "i", volumeSizeGB: 0), amountSats: 50_000,
            paymentHash: String(repeating: "ab", count: 32), paymentRequest: "lnbc500u1example",
            invoiceExpiresAt: Timestamp(milliseconds: 1_709_210_096_000), paidAt: nil, preimage: nil,
            accessTokenHash: String(repeating: "0", count: 64), sshKeyAlgorithm: "ed25519",
            sshPublicKey: "ssh-ed25519 AAAA", sshKeyFingerprint: "SHA256:fp", sealedPrivateKey: [1, 2, 3],
            buyerSuppliedKey: false, keyClaimedAt: nil, keyConfirmBy: nil, keyWipedAt: nil, doSSHKeyID: "1", doVolumeID: nil,
            doDropletID: "2", tailscaleKeyID: nil, buyerTailscaleKey: false, nodeTokenHash: nil, sealedNodeToken: nil,
            setupReport: nil, setupReportCount: 0, nodeIPv4: "203.0.113.7", tailscaleHostname: "timmy-0f4e2a9c",
            lnbitsURL: nil, publicError: "The node could not be built.", errorDetail: "HTTP 500 from upstream",
            refundBolt11: nil, refundPaymentHash: nil, refundAmountSats: nil, refundedAt: nil,
            provisioningStartedAt: nil, readyAt: nil, createdAt: Timestamp(milliseconds: 0),
            updatedAt: Timestamp(milliseconds: 1_000))
    }
}
