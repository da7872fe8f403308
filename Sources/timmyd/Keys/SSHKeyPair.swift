import COpenSSL
import Protocol

/// Key types timmyd generates for buyers.
enum SSHKeyAlgorithm: String, Sendable, CaseIterable {
    case ed25519
    case rsa4096 = "rsa-4096"
}

/// A freshly generated SSH key pair, ready to hand to a buyer.
struct SSHKeyPair: Sendable {
    let algorithm: SSHKeyAlgorithm
    /// Private key file contents, ending in "\n": openssh-key-v1 for Ed25519,
    /// PKCS#1 PEM ("BEGIN RSA PRIVATE KEY") for RSA.
    let privateKey: String
    /// One OpenSSH public key line, "ssh-ed25519 AAAA… comment", no newline.
    let publicKey: String
    /// "SHA256:…", as `ssh-keygen -l` prints it.
    let fingerprint: String

    static let maximumCommentLength = 1024

    static func generate(_ algorithm: SSHKeyAlgorithm, comment: String) throws -> SSHKeyPair {
        try validate(comment: comment)
        switch algorithm {
        case .ed25519: return try generateEd25519(comment: comment)
        case .rsa4096: return try generateRSA(bits: 4096, comment: comment)
        }
    }

    /// Comments go on the public key line and into the key file: one line of printable text.
    private static func validate(comment: String) throws {
        guard comment.utf8.count <= maximumCommentLength else {
            throw KeyError.invalidComment("longer than \(maximumCommentLength) bytes")
        }
        for (offset, scalar) in comment.unicodeScalars.enumerated()
        where scalar.value < 0x20 || scalar.value == 0x7f || (0x80..<0xa0).contains(scalar.value) {
            throw KeyError.invalidComment("control character at position \(offset)")
        }
    }

    private static func publicLine(blob: [UInt8], type: String, comment: String) -> String {
        let base = type + " " + Base64.encode(blob)
        return comment.isEmpty ? base : base + " " + comment
    }

    // MARK: Ed25519

    private static func generateEd25519(comment: String) throws -> SSHKeyPair {
        OpenSSLError.clear()
        guard let pkey = copenssl_generate_ed25519() else {
            throw KeyError.openSSL(operation: "Ed25519 key generation", detail: OpenSSLError.lastMessage())
        }
        defer { EVP_PKEY_free(pkey) }

        var seed = [UInt8](repeating: 0, count: 32)
        defer { secureZero(&seed) }
        var seedLength = seed.count
        guard EVP_PKEY_get_raw_private_key(pkey, &seed, &seedLength) == 1, seedLength == 32 else {
            throw KeyError.openSSL(operation: "EVP_PKEY_get_raw_private_key", detail: OpenSSLError.lastMessage())
        }
        var publicKey = [UInt8](repeating: 0, count: 32)
        var publicLength = publicKey.count
        guard EVP_PKEY_get_raw_public_key(pkey, &publicKey, &publicLength) == 1, publicLength == 32 else {
            throw KeyError.openSSL(operation: "EVP_PKEY_get_raw_public_key", detail: OpenSSLError.lastMessage())
        }

        var blob = SSHWireWriter()
        blob.string("ssh-ed25519")
        blob.string(publicKey)

        return SSHKeyPair(
            algorithm: .ed25519,
            privateKey: OpenSSHPrivateKeyWriter.ed25519(seed: seed, publicKey: publicKey, comment: comment),
            publicKey: publicLine(blob: blob.bytes, type: "ssh-ed25519", comment: comment),
            fingerprint: SSHKeyFileFingerprint.of(publicKeyBlob: blob.bytes)
        )
    }

    // MARK: RSA

    private static func generateRSA(bits: Int, comment: String) throws -> SSHKeyPair {
        OpenSSLError.clear()
        guard let pkey = copenssl_generate_rsa(bits) else {
            throw KeyError.openSSL(operation: "RSA-\(bits) key generation", detail: OpenSSLError.lastMessage())
        }
        defer { EVP_PKEY_free(pkey) }

        let e = try bigNumParameter(pkey, OSSL_PKEY_PARAM_RSA_E)
        let n = try bigNumParameter(pkey, OSSL_PKEY_PARAM_RSA_N)
        var blob = SSHWireWriter()
        blob.string("ssh-rsa")
        blob.mpint(unsigned: e)
        blob.mpint(unsigned: n)

        return SSHKeyPair(
            algorithm: .rsa4096,
            privateKey: try traditionalPEM(pkey),
            publicKey: publicLine(blob: blob.bytes, type: "ssh-rsa", comment: comment),
            fingerprint: SSHKeyFileFingerprint.of(publicKeyBlob: blob.bytes)
        )
    }

    /// A public BIGNUM parameter ("n", "e") as unsigned big-endian bytes.
    private static func bigNumParameter(_ pkey: OpaquePointer, _ name: String) throws -> [UInt8] {
        var bn: OpaquePointer? = nil
        guard EVP_PKEY_get_bn_param(pkey, name, &bn) == 1, let bn else {
            throw KeyError.openSSL(operation: "EVP_PKEY_get_bn_param(\(name))", detail: OpenSSLError.lastMessage())
        }
        defer { BN_free(bn) }
        var out = [UInt8](repeating: 0, count: (Int(BN_num_bits(bn)) + 7) / 8)
        let written = out.withUnsafeMutableBufferPointer { BN_bn2bin(bn, $0.baseAddress) }
        guard written == out.count else {
            throw KeyError.openSSL(operation: "BN_bn2bin(\(name))", detail: OpenSSLError.lastMessage())
        }
        return out
    }

    /// The private key as PKCS#1 PEM ("-----BEGIN RSA PRIVATE KEY-----"),
    /// the most widely accepted unencrypted RSA key file format.
    private static func traditionalPEM(_ pkey: OpaquePointer) throws -> String {
        guard let bio = BIO_new(BIO_s_mem()) else {
            throw KeyError.openSSL(operation: "BIO_new", detail: OpenSSLError.lastMessage())
        }
        defer { BIO_free(bio) }  // a memory BIO's buffer is cleansed when freed
        guard PEM_write_bio_PrivateKey_traditional(bio, pkey, nil, nil, 0, nil, nil) == 1 else {
            throw KeyError.openSSL(operation: "PEM_write_bio_PrivateKey_traditional", detail: OpenSSLError.lastMessage())
        }
        var data: UnsafeMutablePointer<CChar>? = nil
        let length = copenssl_bio_mem_data(bio, &data)
        guard length > 0, let data else {
            throw KeyError.openSSL(operation: "BIO_get_mem_data", detail: OpenSSLError.lastMessage())
        }
        defer { OPENSSL_cleanse(data, Int(length)) }
        let text = UnsafeRawBufferPointer(start: data, count: Int(length))
        return String(decoding: text, as: UTF8.self)
    }
}
