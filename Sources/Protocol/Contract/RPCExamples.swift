/// The values the descriptors' examples are made of: one stub purchase, seen from each side.
enum RPCExamples {
    static let jobId = "3f0b6c1e-8a2d-4e5f-9b7c-1d2e3f4a5b6c"
    static let token = "tat_EXAMPLE-not-a-real-token_0123456789abcdefghij"
    static let credentials = JobCredentials(jobId: jobId, accessToken: token)
    static let fingerprint = "SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s"
    static let publicKey = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleExampleExampleExampleExampleExamp timmy"
    static let created = "2026-01-05T10:00:00Z"
    static let plan = PlanInfo(region: "nyc3", size: "s-2vcpu-4gb", image: "ubuntu-24-04-x64", volumeSizeGb: 0)
    static let invoice = InvoiceInfo(
        paymentRequest: "lnstub50000sat1example", paymentHash: String(repeating: "ab", count: 32), amountSats: 50_000,
        expiresAt: "2026-01-05T10:15:00Z")
    static let unpaid = JobStatus(
        jobId: jobId, state: .awaitingPayment, phase: nil, amountSats: 50_000, createdAt: created, updatedAt: created,
        message: "Waiting for payment of 50000 sats.", invoice: invoice, node: nil, keyClaimed: false, error: nil,
        nextSteps: nil)
    static let ready = JobStatus(
        jobId: jobId, state: .ready, phase: "account_key_removed", amountSats: 50_000, createdAt: created,
        updatedAt: "2026-01-05T10:06:00Z", message: "Your node is ready. Claim its SSH key.", invoice: nil,
        node: NodeInfo(
            ipv4: "203.0.113.7", tailscaleHostname: nil, lnbitsUrl: nil, sshPublicKey: publicKey,
            sshKeyFingerprint: fingerprint, setup: NodeSetupStatus(reported: true, step: .lnd, state: .running,
            updatedAt: "2026-01-05T10:09:00Z")),
        keyClaimed: false, error: nil, nextSteps: nil)
    static let cancelled = JobStatus(
        jobId: jobId, state: .cancelled, phase: nil, amountSats: 50_000, createdAt: created,
        updatedAt: "2026-01-05T10:01:00Z", message: "Cancelled before payment.", invoice: nil, node: nil,
        keyClaimed: false, error: nil, nextSteps: nil)
    static let refunded = JobStatus(
        jobId: jobId, state: .refunded, phase: "queued", amountSats: 50_000, createdAt: created,
        updatedAt: "2026-01-05T11:00:00Z", message: "Refunded 50000 sats.", invoice: nil, node: nil, keyClaimed: false,
        error: "The node could not be built.", nextSteps: nil)
    static let refundInvoice = "lnstubrefund50000sat1example"
    static let adminJob = AdminJob(
        jobId: jobId, state: .ready, phase: .accountKeyRemoved, label: "office node", amountSats: 50_000,
        paymentHash: invoice.paymentHash, invoiceExpiresAt: invoice.expiresAt, paidAt: "2026-01-05T10:02:00Z", plan: plan,
        sshKeyFingerprint: fingerprint, keyHeld: true, dropletId: "412345678", accountSshKeyId: nil,
        nodeIpv4: "203.0.113.7", createdAt: created, updatedAt: "2026-01-05T10:06:00Z", readyAt: "2026-01-05T10:06:00Z",
        nodeSetup: NodeSetupStatus(reported: true, step: .lnd, state: .running, updatedAt: "2026-01-05T10:09:00Z"))
    static let adminDetail = AdminJobDetail(
        job: adminJob,
        events: [
            AdminJobEvent(at: created, to: "awaiting_payment", actorUid: 1000, reason: "created"),
            AdminJobEvent(at: "2026-01-05T10:02:00Z", from: "awaiting_payment", to: "provisioning", phase: "queued", reason: "paid"),
            AdminJobEvent(at: "2026-01-05T10:06:00Z", from: "provisioning", to: "ready", reason: "node is up"),
        ])
}
