import Protocol
import Testing

@testable import timmyd

/// Every conversion that multiplies or adds an amount, time or size from outside
/// reports overflow (or saturates) instead of trapping, which would kill the daemon.
@Suite struct CheckedArithmeticTests {
    @Test func millisatoshisOverflowIsNil() {
        #expect(Millisatoshis.from(sats: 50_000) == 50_000_000)
        #expect(Millisatoshis.from(sats: Int64.max / 1000) == Int64.max / 1000 * 1000)
        #expect(Millisatoshis.from(sats: Int64.max / 1000 + 1) == nil)
        #expect(Millisatoshis.from(sats: Int64.max) == nil)
        #expect(Millisatoshis.from(sats: Int64.min) == nil)
    }

    @Test func saturatingArithmeticClampsAtTheEnds() {
        #expect(Int64.max.saturatingMultiplied(by: 1000) == .max)
        #expect(Int64.min.saturatingMultiplied(by: 1000) == .min)
        #expect(Int64.max.saturatingMultiplied(by: -2) == .min)
        #expect(Int64(-5).saturatingMultiplied(by: -3) == 15)
        #expect(Int64.max.saturatingAdding(1) == .max)
        #expect(Int64.min.saturatingAdding(-1) == .min)
        #expect(Int64(2).saturatingAdding(-3) == -1)
    }

    @Test func timestampsSaturateInsteadOfTrapping() {
        let now = Timestamp(milliseconds: 1_800_000_000_000)
        #expect(now.adding(seconds: .max).milliseconds == .max)
        #expect(Timestamp(milliseconds: -1).adding(seconds: .min).milliseconds == .min)
        #expect(now.adding(milliseconds: .max).milliseconds == .max)
        #expect(now.adding(seconds: 60).milliseconds == 1_800_000_060_000)
        // An LNbits decode reply with absurd date and expiry fields.
        #expect(Timestamp(unixSeconds: .max).adding(seconds: .max).milliseconds == .max)
        #expect(Timestamp(unixSeconds: 1_800_000_000).milliseconds == 1_800_000_000_000)
    }

    @Test(arguments: [
        "lnstubrefund9223372036854775807sat1", "lnstubrefund9223372036854776sat1",
        "lnstubrefund99999999999999999999999sat1",
    ])
    func hugeStubRefundInvoiceIsRejectedNotMultiplied(_ bolt11: String) async throws {
        let payer = StubRefundPayer(database: try SQLiteDatabase(path: ":memory:"))
        await #expect(throws: InvoiceRejected.self) { try await payer.decode(bolt11) }
        let largest = try await payer.decode("lnstubrefund9223372036854775sat1")
        #expect(largest.amountMsat == 9_223_372_036_854_775_000)
    }

    @Test func verifierRefusesAPriceThatDoesNotFitInMsat() {
        let verdict = PaymentVerifier.verify(
            .paid(preimage: String(repeating: "00", count: 32), amountMsat: .max),
            paymentHash: SHA256Digest.hex([UInt8](repeating: 0, count: 32)), expectedAmountSats: .max)
        #expect(verdict == .refused("the price of \(Int64.max) sats does not fit in msat"))
    }

    @Test func refundRulesRefuseRatherThanOverflowOnAHugeJobAmount() {
        var job = JobRecord.fixture(state: .failed)
        job.paidAt = Timestamp(milliseconds: 1)
        job.amountSats = .max
        let invoice = DecodedInvoice(
            paymentHash: String(repeating: "cd", count: 32), amountMsat: 1000, expiresAt: Timestamp(milliseconds: .max))
        #expect(throws: RefundRefusal.self) {
            try RefundRules.check(invoice, for: job, isOwnInvoice: false, now: Timestamp(milliseconds: 0))
        }
    }

    @Test func watcherWaitObeysRetryAfterUpToAnHourAndNeverOverflows() {
        #expect(PaymentWatcher.waitMilliseconds(pollInterval: 1000, failures: 0, retryAfterSeconds: nil) == 1000)
        #expect(PaymentWatcher.waitMilliseconds(pollInterval: 1000, failures: 2, retryAfterSeconds: nil) == 4000)
        #expect(PaymentWatcher.waitMilliseconds(pollInterval: 1000, failures: 99, retryAfterSeconds: nil) == 32_000)
        #expect(PaymentWatcher.waitMilliseconds(pollInterval: 1000, failures: 1, retryAfterSeconds: 30) == 30_000)
        #expect(PaymentWatcher.waitMilliseconds(pollInterval: 1000, failures: 1, retryAfterSeconds: .max) == 3_600_000)
        #expect(PaymentWatcher.waitMilliseconds(pollInterval: 1000, failures: 1, retryAfterSeconds: -5) == 2000)
        #expect(PaymentWatcher.waitMilliseconds(pollInterval: .max, failures: 5, retryAfterSeconds: nil) == .max)
    }

    @Test func cloudServerDelaysSaturateAtTheCap() {
        let policy = RetryPolicy(maximumServerDelayMilliseconds: 120_000, now: { 1000 })
        #expect(policy.serverDelay(["retry-after": "9223372036854775807"]) == 120_000)
        #expect(policy.serverDelay(["ratelimit-remaining": "0", "ratelimit-reset": "9223372036854775807"]) == 120_000)
        #expect(policy.serverDelay(["ratelimit-remaining": "0", "ratelimit-reset": "-9223372036854775808"]) == 1000)
        #expect(RetryPolicy(baseDelayMilliseconds: .max, random: { 0 }).backoff(attempt: 21) == 15_000)
    }

    @Test(arguments: [
        "BOOTSTRAP_FEE_SATS", "INVOICE_EXPIRY_SECONDS", "DO_VOLUME_SIZE_GB", "LATE_PAYMENT_GRACE_SECONDS",
        "KEY_RETENTION_DAYS", "PAYMENT_POLL_INTERVAL_MS", "STUB_PROVISION_DELAY_MS", "MAX_REQUEST_BYTES",
        "HTTP_MAX_BODY_BYTES", "HTTP_REQUEST_TIMEOUT_SECONDS", "IDLE_TIMEOUT_SECONDS",
    ])
    func hugeConfigurationValuesAreConfigurationErrors(_ name: String) throws {
        for value in ["9223372036854775807", "-9223372036854775808", "99999999999999999999"] {
            let loader = try ConfigurationLoader(environment: [name: value], envFile: nil)
            #expect(throws: ConfigurationError.self, "\(name)=\(value)") {
                _ = try loader.load(socketPath: "/tmp/x.sock", stateDirectory: "/tmp/x", requireReal: false)
            }
        }
    }

    @Test func theLargestPriceStillFitsInMsat() throws {
        let loader = try ConfigurationLoader(environment: ["BOOTSTRAP_FEE_SATS": "2100000000000000"], envFile: nil)
        let configuration = try loader.load(socketPath: "/tmp/x.sock", stateDirectory: "/tmp/x", requireReal: false)
        #expect(Millisatoshis.from(sats: configuration.priceSats) != nil)
    }
}
