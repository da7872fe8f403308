/// Writes unencrypted private keys in OpenSSH's own "openssh-key-v1" format
/// (PROTOCOL.key in the OpenSSH sources). OpenSSH 9.2 does not load Ed25519
/// keys from PKCS#8 PEM, so Ed25519 keys must be written this way.
enum OpenSSHPrivateKeyWriter {
    static let authMagic: [UInt8] = Array("openssh-key-v1".utf8) + [0]
    /// The block size the private section is padded to when cipher is "none".
    static let blockSize = 8
    static let lineWidth = 70

    /// The full file text, "-----BEGIN OPENSSH PRIVATE KEY-----" … ending in "\n".
    /// - Parameters:
    ///   - seed: the 32-byte Ed25519 private key (seed).
    ///   - publicKey: the 32-byte Ed25519 public key.
    static func ed25519(seed: [UInt8], publicKey: [UInt8], comment: String) -> String {
        precondition(seed.count == 32 && publicKey.count == 32, "Ed25519 keys are 32 bytes")

        var publicBlob = SSHWireWriter()
        publicBlob.string("ssh-ed25519")
        publicBlob.string(publicKey)

        // Private section: check ints, then the key as OpenSSH stores it
        // (type, public key, seed || public key), the comment, then padding.
        var section = SSHWireWriter(reservingCapacity: 256 + comment.utf8.count)
        let check = CryptoRandom.uint32()
        section.uint32(check)
        section.uint32(check)
        section.string("ssh-ed25519")
        section.string(publicKey)
        section.uint32(64)
        section.raw(seed)
        section.raw(publicKey)
        section.string(comment)
        var pad: UInt8 = 1
        while section.bytes.count % blockSize != 0 {
            section.raw([pad])
            pad += 1
        }
        defer { section.wipe() }

        var file = SSHWireWriter(reservingCapacity: 512 + comment.utf8.count)
        file.raw(authMagic)
        file.string("none")  // cipher
        file.string("none")  // kdf
        file.string([UInt8]())  // kdf options
        file.uint32(1)  // number of keys
        file.string(publicBlob.bytes)
        file.string(section.bytes)
        defer { file.wipe() }

        return armor(file.bytes)
    }

    /// Base64 at 70 columns between the OpenSSH header and footer lines.
    private static func armor(_ bytes: [UInt8]) -> String {
        var encoded = Array(Base64.encode(bytes).utf8)
        defer { secureZero(&encoded) }
        var text = [UInt8]()
        text.reserveCapacity(encoded.count + encoded.count / lineWidth + 80)
        text.append(contentsOf: "-----BEGIN OPENSSH PRIVATE KEY-----\n".utf8)
        var start = 0
        while start < encoded.count {
            let end = min(start + lineWidth, encoded.count)
            text.append(contentsOf: encoded[start..<end])
            text.append(UInt8(ascii: "\n"))
            start = end
        }
        text.append(contentsOf: "-----END OPENSSH PRIVATE KEY-----\n".utf8)
        defer { secureZero(&text) }
        return String(decoding: text, as: UTF8.self)
    }
}
