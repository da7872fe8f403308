/// The SHA256 fingerprint (as `ssh-keygen -l` prints it) of the public half of an
/// unencrypted private key file as timmyd hands them out: OpenSSH's own format
/// ("BEGIN OPENSSH PRIVATE KEY", Ed25519) or PKCS#1 PEM ("BEGIN RSA PRIVATE KEY").
/// A client fingerprints the bytes it saved, so it confirms receipt only of a key
/// that really reached the disk intact.
public enum SSHKeyFileFingerprint {
    /// `SHA256:` and the unpadded base64 of the public key blob's SHA-256; nil when
    /// the text is not such a key file.
    public static func of(privateKeyFile text: String) -> String? {
        if let body = armoredBody(text, label: "OPENSSH PRIVATE KEY") {
            return openSSHPublicBlob(body).map(of(publicKeyBlob:))
        }
        if let body = armoredBody(text, label: "RSA PRIVATE KEY") {
            return rsaPublicBlob(pkcs1: body).map(of(publicKeyBlob:))
        }
        return nil
    }

    /// The fingerprint of an `ssh-…` public key line (type, base64 blob, comment).
    public static func of(publicKeyLine line: String) -> String? {
        let fields = line.split(separator: " ")
        guard fields.count >= 2, let blob = Base64Text.decode(fields[1].utf8), !blob.isEmpty else { return nil }
        return of(publicKeyBlob: blob)
    }

    /// The fingerprint of a public key blob (the SSH wire encoding of the key).
    public static func of(publicKeyBlob blob: [UInt8]) -> String {
        "SHA256:" + Base64Text.encodeUnpadded(SHA256.hash(blob))
    }

    private static func armoredBody(_ text: String, label: String) -> [UInt8]? {
        let begin = "-----BEGIN \(label)-----", end = "-----END \(label)-----"
        let lines = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" }).map { $0.trimmingSpaces }
        guard let first = lines.firstIndex(of: begin), let last = lines.lastIndex(of: end), first < last else { return nil }
        return Base64Text.decode(lines[(first + 1)..<last].joined().utf8)
    }

    /// openssh-key-v1: magic, cipher, kdf, kdf options, key count, then the public blob.
    private static func openSSHPublicBlob(_ file: [UInt8]) -> [UInt8]? {
        let magic = Array("openssh-key-v1".utf8) + [0]
        guard file.starts(with: magic) else { return nil }
        var reader = WireReader(bytes: file, offset: magic.count)
        guard reader.string() != nil, reader.string() != nil, reader.string() != nil, reader.uint32() == 1 else {
            return nil
        }
        return reader.string()
    }

    /// PKCS#1 RSAPrivateKey: SEQUENCE { version, n, e, … }; the SSH blob is
    /// string "ssh-rsa", mpint e, mpint n (DER integers are already mpints).
    private static func rsaPublicBlob(pkcs1 der: [UInt8]) -> [UInt8]? {
        var outer = DERReader(bytes: der)
        guard let sequence = outer.element(tag: 0x30) else { return nil }
        var inner = DERReader(bytes: sequence)
        guard inner.element(tag: 0x02) != nil, let n = inner.element(tag: 0x02), let e = inner.element(tag: 0x02) else {
            return nil
        }
        var blob = [UInt8]()
        for field in [Array("ssh-rsa".utf8), e, n] {
            let count = UInt32(field.count)
            blob += [24, 16, 8, 0].map { UInt8(truncatingIfNeeded: count >> UInt32($0)) } + field
        }
        return blob
    }
}

/// SSH wire fields: big-endian uint32 and length-prefixed strings.
private struct WireReader {
    let bytes: [UInt8]
    var offset: Int

    mutating func uint32() -> UInt32? {
        guard offset + 4 <= bytes.count else { return nil }
        defer { offset += 4 }
        return bytes[offset..<offset + 4].reduce(0) { $0 << 8 | UInt32($1) }
    }

    mutating func string() -> [UInt8]? {
        guard let length = uint32(), Int(length) <= bytes.count - offset else { return nil }
        defer { offset += Int(length) }
        return Array(bytes[offset..<offset + Int(length)])
    }
}

/// Just enough DER to walk a SEQUENCE of INTEGERs.
private struct DERReader {
    let bytes: [UInt8]
    var offset = 0

    init(bytes: [UInt8]) { self.bytes = bytes }

    mutating func element(tag: UInt8) -> [UInt8]? {
        guard offset + 2 <= bytes.count, bytes[offset] == tag else { return nil }
        var length = Int(bytes[offset + 1])
        var start = offset + 2
        if length & 0x80 != 0 {
            let count = length & 0x7F
            guard (1...4).contains(count), start + count <= bytes.count else { return nil }
            length = bytes[start..<start + count].reduce(0) { $0 << 8 | Int($1) }
            start += count
        }
        guard length <= bytes.count - start else { return nil }
        offset = start + length
        return Array(bytes[start..<offset])
    }
}

extension Substring {
    fileprivate var trimmingSpaces: String {
        var text = self
        while text.first == " " || text.first == "\t" { text.removeFirst() }
        while text.last == " " || text.last == "\t" || text.last == "\r" { text.removeLast() }
        return String(text)
    }
}
