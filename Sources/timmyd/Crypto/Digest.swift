import COpenSSL

/// SHA-256 via OpenSSL's EVP_Digest.
enum SHA256Digest {
    static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let rc = bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &length, EVP_sha256(), nil)
            }
        }
        guard rc == 1, length == 32 else { fatalError("EVP_Digest(SHA-256) failed: \(OpenSSLError.lastMessage())") }
        return Array(out.prefix(32))
    }

    /// Lower-case hex of the SHA-256 of `bytes`.
    /// The hash of `bytes` as lower-case hex (how payment hashes and token hashes are written).
    static func hex(_ bytes: [UInt8]) -> String { hash(bytes).hexString }
}

/// Compares two byte strings in time independent of where they differ
/// (CRYPTO_memcmp). Differing lengths return false at once: lengths are not secret.
func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
    guard a.count == b.count else { return false }
    guard !a.isEmpty else { return true }
    return a.withUnsafeBytes { pa in
        b.withUnsafeBytes { pb in CRYPTO_memcmp(pa.baseAddress, pb.baseAddress, pa.count) == 0 }
    }
}
