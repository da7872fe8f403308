import Protocol
import Testing
@testable import timmyd

@Suite struct JobStatusPresenterTests {
    static let secrets = [
        "PREIMAGE-0123456789abcdef", "TOKENHASH-fedcba9876543210", "internal detail: HTTP 500 from api.example",
    ]

    /// A job in `state` with every secret column filled, so a leak would show.
    private func job(_ state: JobState, phase: ProvisionPhase? = nil, claimed: Bool = false, buyerKey: Bool = false)
        -> JobRecord
    {
        JobRecord(
            id: "0f4e2a9c-1b3d-4e5f-8a7b-6c5d4e3f2a1b", state: state, phase: phase, label: "label",
            plan: NodePlan(region: "nyc3", size: "s", image: "i", volumeSizeGB: 0), amountSats: 50_000,
            paymentHash: String(repeating: "ab", count: 32), paymentRequest: "lnbc500u1example",
            invoiceExpiresAt: Timestamp(milliseconds: 1_709_210_096_000), paidAt: nil, preimage: Self.secrets[0],
            accessTokenHash: Self.secrets[1], sshKeyAlgorithm: "ed25519", sshPublicKey: "ssh-ed25519 AAAA",
            sshKeyFingerprint: "SHA256:fp", sealedPrivateKey: claimed ? nil : [1, 2, 3], buyerSuppliedKey: buyerKey,
            keyClaimedAt: claimed ? Timestamp(milliseconds: 5_000) : nil, keyWipedAt: nil, doSSHKeyID: "1",
            doVolumeID: nil, doDropletID: "2", tailscaleKeyID: nil, nodeIPv4: "203.0.113.7",
            tailscaleHostname: "timmy-0f4e2a9c", lnbitsURL: nil, publicError: "The node could not be built.",
            errorDetail: Self.secrets[2], provisioningStartedAt: nil, readyAt: nil,
            createdAt: Timestamp(milliseconds: 0), updatedAt: Timestamp(milliseconds: 1_000))
    }

    @Test(arguments: JobState.allCases)
    func statusNeverCarriesASecret(_ state: JobState) {
        let text = JobStatusPresenter.status(of: job(state, phase: .dropletCreated)).json.serialized()
        for secret in Self.secrets { #expect(!text.contains(secret), "\(state): \(text)") }
    }

    @Test(arguments: JobState.allCases)
    func everyStateHasAMessage(_ state: JobState) {
        #expect(!JobStatusPresenter.message(for: job(state)).isEmpty)
    }

    @Test func awaitingPaymentShowsTheInvoice() {
        let status = JobStatusPresenter.status(of: job(.awaitingPayment))
        #expect(status.invoice?.paymentRequest == "lnbc500u1example")
        #expect(status.invoice?.expiresAt == "2024-02-29T12:34:56Z")
        #expect(status.node == nil)
        #expect(status.error == nil)
        #expect(status.createdAt == "1970-01-01T00:00:00Z")
        #expect(status.updatedAt == "1970-01-01T00:00:01Z")
        #expect(status.message.contains("50000 sats"))
        #expect(status.nextSteps?.contains("Follow progress with: timmyctl watch 0f4e2a9c-1b3d-4e5f-8a7b-6c5d4e3f2a1b") == true)
    }

    @Test func provisioningCountsCompletedSteps() {
        #expect(JobStatusPresenter.status(of: job(.provisioning, phase: .queued)).message.contains("step 0 of 6"))
        #expect(JobStatusPresenter.status(of: job(.provisioning, phase: .volumeCreated)).message.contains("step 2 of 6"))
        #expect(JobStatusPresenter.status(of: job(.provisioning)).invoice == nil)
    }

    @Test func readyShowsTheNodeAndOffersTheKeyOnce() {
        let unclaimed = JobStatusPresenter.status(of: job(.ready))
        #expect(unclaimed.node?.ipv4 == "203.0.113.7")
        #expect(unclaimed.node?.tailscaleHostname == "timmy-0f4e2a9c")
        #expect(unclaimed.invoice == nil)
        #expect(!unclaimed.keyClaimed)
        #expect(unclaimed.nextSteps?.first?.contains("claim-key") == true)

        let claimed = JobStatusPresenter.status(of: job(.ready, claimed: true))
        #expect(claimed.keyClaimed)
        #expect(claimed.message == "Your node is ready. Its SSH key has been delivered.")
        #expect(claimed.nextSteps?.contains { $0.contains("claim-key") } == false)
    }

    @Test func readyWithTheBuyersOwnKeyOffersNoKey() {
        let status = JobStatusPresenter.status(of: job(.ready, buyerKey: true))
        #expect(status.nextSteps?.contains { $0.contains("claim-key") } == false)
        #expect(status.nextSteps?.contains("Log in: ssh -i your own key root@203.0.113.7") == true)
    }

    @Test(arguments: JobState.allCases.filter { $0 != .ready })
    func nodeIsShownOnlyWhenReady(_ state: JobState) {
        #expect(JobStatusPresenter.status(of: job(state)).node == nil)
    }

    @Test func failedShowsThePublicErrorOnly() {
        let status = JobStatusPresenter.status(of: job(.failed))
        #expect(status.error == "The node could not be built.")
        #expect(status.message.contains("The node could not be built."))
        #expect(status.nextSteps?.first?.contains("refund") == true)
    }

    @Test(arguments: [JobState.awaitingPayment, .provisioning, .ready, .expired, .cancelled, .destroyed])
    func errorIsHiddenOutsideTheFailurePath(_ state: JobState) {
        #expect(JobStatusPresenter.status(of: job(state)).error == nil)
    }

    @Test(arguments: JobState.allCases)
    func invoiceIsShownOnlyBeforePaymentOrWhenItLapsed(_ state: JobState) {
        let shows = [.awaitingPayment, .expired, .cancelled].contains(state)
        #expect((JobStatusPresenter.status(of: job(state)).invoice != nil) == shows)
    }
}
