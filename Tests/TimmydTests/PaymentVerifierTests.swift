import Testing
@testable import timmyd

@Suite struct PaymentVerifierTests {
    static let preimageBytes = (0..<32).map { UInt8($0 * 7 &+ 3) }
    static let preimage = preimageBytes.hexString
    static let paymentHash = SHA256Digest.hex(preimageBytes)
    static let amountSats: Int64 = 50_000

    private func verify(_ report: PaymentReport, hash: String = paymentHash) -> PaymentVerifier.Verdict {
        PaymentVerifier.verify(report, paymentHash: hash, expectedAmountSats: Self.amountSats)
    }

    private func isRefused(_ verdict: PaymentVerifier.Verdict) -> Bool {
        if case .refused = verdict { return true }
        return false
    }

    @Test func matchingPreimageAndAmountIsPaid() {
        #expect(verify(.paid(preimage: Self.preimage, amountMsat: 50_000_000)) == .paid(preimage: Self.preimage))
    }

    @Test func upperCaseHexIsAcceptedAndStoredLowerCase() {
        let verdict = verify(.paid(preimage: Self.preimage.uppercased(), amountMsat: 50_000_000), hash: Self.paymentHash.uppercased())
        #expect(verdict == .paid(preimage: Self.preimage))
    }

    @Test func unpaidIsUnpaid() {
        #expect(verify(.unpaid) == .unpaid)
    }

    @Test func wrongPreimageIsRefused() {
        var other = Self.preimageBytes
        other[31] ^= 1
        let verdict = verify(.paid(preimage: other.hexString, amountMsat: 50_000_000))
        #expect(isRefused(verdict))
        #expect(verdict == .refused("reported paid but sha256(preimage) does not match the payment hash"))
    }

    @Test func thePaymentHashItselfIsNotAPreimage() {
        #expect(isRefused(verify(.paid(preimage: Self.paymentHash, amountMsat: 50_000_000))))
    }

    @Test(arguments: [
        String(repeating: "zz", count: 32), String(repeating: "0", count: 63), "", "0x" + String(repeating: "00", count: 31),
        String(repeating: " 0", count: 32),
    ])
    func nonHexPreimageIsRefused(_ preimage: String) {
        #expect(isRefused(verify(.paid(preimage: preimage, amountMsat: 50_000_000))))
    }

    @Test func shortPreimageIsRefusedEvenWhenItsHashMatches() {
        let short = Array(Self.preimageBytes.prefix(31))
        let verdict = PaymentVerifier.verify(
            .paid(preimage: short.hexString, amountMsat: 50_000_000), paymentHash: SHA256Digest.hex(short),
            expectedAmountSats: Self.amountSats)
        #expect(isRefused(verdict))
    }

    @Test func longPreimageIsRefusedEvenWhenItsHashMatches() {
        let long = Self.preimageBytes + [0]
        let verdict = PaymentVerifier.verify(
            .paid(preimage: long.hexString, amountMsat: 50_000_000), paymentHash: SHA256Digest.hex(long),
            expectedAmountSats: Self.amountSats)
        #expect(isRefused(verdict))
    }

    @Test(arguments: [49_999_999, 50_000_001, 0, -50_000_000, 50_000, 50_000_000_000] as [Int64])
    func amountNotExactlyTheInvoiceIsRefused(_ amountMsat: Int64) {
        let verdict = verify(.paid(preimage: Self.preimage, amountMsat: amountMsat))
        #expect(isRefused(verdict))
    }

    @Test func amountRefusalNamesBothAmounts() {
        #expect(
            verify(.paid(preimage: Self.preimage, amountMsat: 50_000_001))
                == .refused("reported paid 50000001 msat, expected 50000000 msat"))
    }
}
