/// OpenSSH key fingerprints.
enum SSHFingerprint {
    /// "SHA256:" + unpadded standard base64 of SHA-256 over the public key
    /// blob, exactly as `ssh-keygen -l` prints it.
    static func sha256(ofBlob blob: [UInt8]) -> String {
        var encoded = Base64.encode(SHA256Digest.hash(blob))
        while encoded.hasSuffix("=") { encoded.removeLast() }
        return "SHA256:" + encoded
    }
}
