/// A job's node token: `tnt_` and 32 random bytes in unpadded base64url. Only the
/// node holds it (it is rendered into its user_data); timmyd keeps its SHA-256, and
/// the token itself sealed only until the droplet that carries it exists.
enum NodeToken {
    static let prefix = "tnt_"

    static func make() -> String {
        prefix + Base64.urlEncodeNoPadding(CryptoRandom.bytes(32))
    }

    /// The stored form: lower-case hex of the token's SHA-256.
    static func hash(_ token: String) -> String { SHA256Digest.hex(Array(token.utf8)) }

    /// Binds a sealed token to its job, so a sealed blob moved to another row does not open.
    static func associatedData(jobID: String) -> [UInt8] { Array("node-token:\(jobID)".utf8) }

    /// Whether `presented` is the token whose hash is `storedHash`, compared in constant
    /// time. A job without a token (`storedHash` nil) is compared against a dummy hash, so
    /// an unknown job and a wrong token take the same time and get the same answer.
    static func matches(_ presented: String?, storedHash: String?) -> Bool {
        let stored = storedHash.flatMap { [UInt8](hexString: $0) } ?? dummyHash
        let candidate = SHA256Digest.hash(Array((presented ?? "").utf8))
        let equal = constantTimeEquals(candidate, stored)
        return equal && storedHash != nil && presented?.hasPrefix(prefix) == true
    }

    private static let dummyHash = [UInt8](repeating: 0, count: 32)
}
