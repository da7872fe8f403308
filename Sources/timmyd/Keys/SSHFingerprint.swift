import COpenSSL

/// OpenSSH key fingerprints. The SHA-256 one, as `ssh-keygen -l` prints it, is
/// Protocol's `SSHKeyFileFingerprint.of(publicKeyBlob:)`, shared with timmyctl.
enum SSHFingerprint {
    /// The MD5 fingerprint DigitalOcean shows and looks keys up by: lower-case hex
    /// pairs joined by `:` over the public key blob of an OpenSSH line (`type base64 [comment]`).
    /// Nil when the line holds no decodable blob.
    static func md5(ofPublicKeyLine line: String) -> String? {
        let fields = line.split(separator: " ", omittingEmptySubsequences: true)
        guard fields.count >= 2, let blob = Base64.decode(String(fields[1])) else { return nil }
        var out = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let rc = blob.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { EVP_Digest(input.baseAddress, input.count, $0.baseAddress, &length, EVP_md5(), nil) }
        }
        guard rc == 1, length == 16 else { return nil }
        return out.prefix(16).map { [$0].hexString }.joined(separator: ":")
    }
}
