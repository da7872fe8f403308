import Protocol

/// Decides whether a backend's "paid" is a payment timmyd accepts: the preimage must
/// hash to the invoice's payment hash, and the amount must be what was asked.
/// Anything else is refused and reported for the admin, never treated as paid.
enum PaymentVerifier {
    enum Verdict: Equatable {
        case unpaid
        case paid(preimage: String)
        case refused(String)
    }

    static func verify(_ report: PaymentReport, paymentHash: String, expectedAmountSats: Int64) -> Verdict {
        switch report {
        case .unpaid:
            return .unpaid
        case .paid(let preimage, let amountMsat):
            guard let preimageBytes = [UInt8](hexString: preimage), preimageBytes.count == 32 else {
                return .refused("reported paid with a preimage that is not 32 bytes of hex")
            }
            guard SHA256Digest.hex(preimageBytes) == paymentHash.lowercased() else {
                return .refused("reported paid but sha256(preimage) does not match the payment hash")
            }
            guard let expectedMsat = Millisatoshis.from(sats: expectedAmountSats) else {
                return .refused("the price of \(expectedAmountSats) sats does not fit in msat")
            }
            guard amountMsat == expectedMsat else {
                return .refused("reported paid \(amountMsat) msat, expected \(expectedMsat) msat")
            }
            return .paid(preimage: preimage.lowercased())
        }
    }
}
