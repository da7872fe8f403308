import COpenSSL

/// Cryptographically secure random bytes from OpenSSL's DRBG.
enum CryptoRandom {
    /// Returns `count` random bytes. A failing RAND_bytes means the process
    /// cannot produce keys safely, so it is fatal rather than thrown.
    static func bytes(_ count: Int) -> [UInt8] {
        precondition(count >= 0 && count <= Int(Int32.max), "CryptoRandom.bytes: bad count \(count)")
        guard count > 0 else { return [] }
        var out = [UInt8](repeating: 0, count: count)
        let rc = out.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        guard rc == 1 else { fatalError("RAND_bytes failed: \(OpenSSLError.lastMessage())") }
        return out
    }

    /// A random 32-bit value.
    static func uint32() -> UInt32 {
        bytes(4).reduce(0) { $0 << 8 | UInt32($1) }
    }
}
