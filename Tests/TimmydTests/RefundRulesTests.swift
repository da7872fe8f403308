import Protocol
import Testing

@testable import timmyd

/// The checks on a refund invoice that need no network.
@Suite struct RefundRulesTests {
    static let now = Timestamp(milliseconds: 1_800_000_000_000)

    /// A paid job (50,000 sats) that failed.
    var paidFailedJob: JobRecord {
        var job = JobRecord.fixture(state: .failed)
        job.paidAt = Timestamp(milliseconds: 1_000)
        return job
    }

    func invoice(msat: Int64?, expiresInSeconds: Int64 = 600, hash: String = String(repeating: "cd", count: 32))
        -> DecodedInvoice
    {
        DecodedInvoice(paymentHash: hash, amountMsat: msat, expiresAt: Self.now.adding(seconds: expiresInSeconds))
    }

    func refusal(_ invoice: DecodedInvoice, job: JobRecord? = nil, own: Bool = false) -> JSONRPCError? {
        do {
            try RefundRules.check(invoice, for: job ?? paidFailedJob, isOwnInvoice: own, now: Self.now)
            return nil
        } catch {
            return BusinessErrorMapping.jsonRPCError(for: error)
        }
    }

    @Test func anInvoiceUpToWhatWasPaidIsAccepted() {
        #expect(refusal(invoice(msat: 50_000_000)) == nil)
        #expect(refusal(invoice(msat: 1)) == nil)
    }

    @Test func moreThanWasPaidIsRefusedNamingTheLimit() throws {
        let error = try #require(refusal(invoice(msat: 50_000_001)))
        #expect(error.code == JSONRPCError.invalidParams("").code)
        #expect(error.message.contains("at most 50000 sats"))
    }

    @Test func zeroOrNoAmountIsRefused() {
        #expect(refusal(invoice(msat: 0)) != nil)
        #expect(refusal(invoice(msat: nil)) != nil)
        #expect(refusal(invoice(msat: -5)) != nil)
    }

    @Test func expiredOrAboutToExpireIsRefused() {
        #expect(refusal(invoice(msat: 1000, expiresInSeconds: -1)) != nil)
        #expect(refusal(invoice(msat: 1000, expiresInSeconds: RefundRules.minimumRemainingLifetimeSeconds)) != nil)
        #expect(refusal(invoice(msat: 1000, expiresInSeconds: RefundRules.minimumRemainingLifetimeSeconds + 1)) == nil)
    }

    @Test func ourOwnInvoicesAreRefused() {
        #expect(refusal(invoice(msat: 1000), own: true) != nil)
        #expect(refusal(invoice(msat: 1000, hash: paidFailedJob.paymentHash)) != nil)
    }

    @Test(arguments: JobState.allCases.filter { $0 != .failed })
    func onlyAFailedJobCanBeRefunded(_ state: JobState) throws {
        var job = paidFailedJob
        job.state = state
        let error = try #require(refusal(invoice(msat: 1000), job: job))
        #expect(error.reason == ApplicationErrorReason.wrongState.rawValue)
    }

    @Test func anUnpaidFailedJobCannotBeRefunded() {
        var job = paidFailedJob
        job.paidAt = nil
        #expect(refusal(invoice(msat: 1000), job: job) != nil)
    }

    @Test func stubRefundInvoicesDecodeTheirAmountAndRefuseOtherText() async throws {
        let directory = try TemporaryDirectory()
        let payer = StubRefundPayer(database: try SQLiteDatabase(path: directory.file("stub.db")))
        let decoded = try await payer.decode("lnstubrefund1500sat1demo")
        #expect(decoded.amountMsat == 1_500_000)
        #expect(decoded.paymentHash == StubRefundPayer.paymentHash(of: "lnstubrefund1500sat1demo"))
        for text in ["lnbc1500n1junk", "lnstubrefundsat1", "lnstubrefund12", "lnstubrefund-5sat"] {
            await #expect(throws: InvoiceRejected.self) { try await payer.decode(text) }
        }
    }
}
