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
        var record = JobRecord.fixture(state: state, phase: phase)
        record.preimage = Self.secrets[0]
        record.accessTokenHash = Self.secrets[1]
        record.errorDetail = Self.secrets[2]
        record.sealedPrivateKey = claimed ? nil : [1, 2, 3]
        record.buyerSuppliedKey = buyerKey
        record.keyClaimedAt = claimed ? Timestamp(milliseconds: 5_000) : nil
        return record
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

    @Test func aDeliveredButUnconfirmedKeyIsStillOffered() {
        var record = job(.ready)
        record.keyClaimedAt = Timestamp(milliseconds: 5_000)
        record.keyConfirmBy = Timestamp(milliseconds: 605_000)
        let status = JobStatusPresenter.status(of: record)
        #expect(!status.keyClaimed, "keyClaimed means delivered and no longer held")
        #expect(status.message.contains("until 1970-01-01T00:10:05Z"))
        #expect(status.nextSteps?.first?.contains("claim-key") == true)
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
        #expect(status.message.contains("The node could not be built. You can ask for a refund."))
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
