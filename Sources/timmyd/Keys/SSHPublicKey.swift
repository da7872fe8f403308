import COpenSSL
import Protocol

/// A validated, buyer-supplied OpenSSH public key line
/// ("type base64-blob [comment]", as in an id_*.pub file).
struct SSHPublicKey: Sendable, Equatable {
    let type: String
    let blob: [UInt8]
    let comment: String?

    static let maximumLineBytes = 16 * 1024
    static let minimumRSABits = 2048
    /// OpenSSH's own upper bound (SSH_RSA_MAXIMUM_MODULUS_SIZE).
    static let maximumRSABits = 16384
    static let acceptedTypes = [
        "ssh-ed25519", "ssh-rsa",
        "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
        "sk-ssh-ed25519@openssh.com",
    ]

    var fingerprint: String { SSHKeyFileFingerprint.of(publicKeyBlob: blob) }

    /// The normalised line: "type base64 comment" (no comment if there is none), no newline.
    var line: String {
        let base = type + " " + Base64.encode(blob)
        guard let comment, !comment.isEmpty else { return base }
        return base + " " + comment
    }

    /// Parses and validates one public key line. A single trailing newline
    /// (as read from a .pub file) and surrounding blanks are tolerated.
    init(parsing line: String) throws {
        let utf8 = line.utf8
        guard utf8.count <= Self.maximumLineBytes else {
            throw KeyError.publicKeyTooLong(bytes: utf8.count, limit: Self.maximumLineBytes)
        }
        var bytes = Array(utf8)
        if bytes.last == UInt8(ascii: "\n") { bytes.removeLast() }
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        if bytes.contains(where: { $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) {
            throw KeyError.publicKeyMultipleLines
        }
        if let offset = bytes.firstIndex(where: { ($0 < 0x20 && $0 != UInt8(ascii: "\t")) || $0 == 0x7f }) {
            throw KeyError.publicKeyControlCharacter(offset: offset)
        }
        let text = String(decoding: bytes, as: UTF8.self)
        if let index = text.unicodeScalars.firstIndex(where: { (0x80..<0xa0).contains($0.value) }) {
            throw KeyError.publicKeyControlCharacter(offset: text.utf8.distance(from: text.startIndex, to: index))
        }

        // Fields are separated by runs of spaces or tabs; the comment is the
        // rest of the line and may itself contain blanks.
        let isBlank: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        var rest = Substring(text).drop(while: isBlank)
        while let last = rest.last, isBlank(last) { rest.removeLast() }
        guard !rest.isEmpty else { throw KeyError.publicKeyEmpty }

        let typeField = rest.prefix { !isBlank($0) }
        rest = rest.dropFirst(typeField.count).drop(while: isBlank)
        guard Self.acceptedTypes.contains(String(typeField)) else {
            throw KeyError.unsupportedKeyType(KeyError.excerpt(typeField))
        }
        let blobField = rest.prefix { !isBlank($0) }
        guard !blobField.isEmpty else { throw KeyError.publicKeyMissingBlob }
        let commentField = rest.dropFirst(blobField.count).drop(while: isBlank)

        guard let blob = Base64.decode(String(blobField)) else { throw KeyError.invalidBase64 }
        try Self.validate(blob: blob, lineType: String(typeField))

        self.type = String(typeField)
        self.blob = blob
        self.comment = commentField.isEmpty ? nil : String(commentField)
    }

    /// Checks that the blob is well formed for the type the line names.
    private static func validate(blob: [UInt8], lineType: String) throws {
        var reader = SSHWireReader(blob)
        let blobType = try reader.asciiString()
        guard blobType == lineType else {
            throw KeyError.keyTypeMismatch(line: lineType, blob: KeyError.excerpt(blobType))
        }
        switch lineType {
        case "ssh-ed25519":
            try expectEd25519Key(try reader.string())
        case "sk-ssh-ed25519@openssh.com":
            try expectEd25519Key(try reader.string())
            let application = try reader.string()
            guard !application.isEmpty else { throw KeyError.malformedKeyBlob("security key application is empty") }
        case "ssh-rsa":
            let e = try reader.unsignedMPInt()
            let n = try reader.unsignedMPInt()
            guard let lastE = e.last, lastE & 1 == 1, bitLength(ofMagnitude: e) >= 2 else {
                throw KeyError.malformedKeyBlob("RSA public exponent is invalid")
            }
            let bits = bitLength(ofMagnitude: n)
            guard bits >= minimumRSABits else { throw KeyError.rsaKeyTooSmall(bits: bits, minimum: minimumRSABits) }
            guard bits <= maximumRSABits else { throw KeyError.rsaKeyTooLarge(bits: bits, maximum: maximumRSABits) }
            guard n.last! & 1 == 1 else { throw KeyError.malformedKeyBlob("RSA modulus is even") }
        case "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521":
            let curve = String(lineType.dropFirst("ecdsa-sha2-".count))
            let blobCurve = try reader.asciiString()
            guard blobCurve == curve else {
                throw KeyError.malformedKeyBlob("curve \"\(KeyError.excerpt(blobCurve))\" does not match key type \(lineType)")
            }
            try expectECPoint(try reader.string(), curve: curve)
        default:
            throw KeyError.unsupportedKeyType(KeyError.excerpt(lineType))
        }
        try reader.expectEnd()
    }

    private static func expectEd25519Key(_ key: [UInt8]) throws {
        guard key.count == 32 else {
            throw KeyError.malformedKeyBlob("Ed25519 key is \(key.count) bytes, expected 32")
        }
    }

    /// An uncompressed point (0x04 || X || Y) that lies on the named curve.
    private static func expectECPoint(_ point: [UInt8], curve: String) throws {
        let (nid, fieldBytes): (Int32, Int) = switch curve {
        case "nistp256": (NID_X9_62_prime256v1, 32)
        case "nistp384": (NID_secp384r1, 48)
        default: (NID_secp521r1, 66)
        }
        guard point.count == 1 + 2 * fieldBytes, point.first == 0x04 else {
            throw KeyError.malformedKeyBlob("ECDSA \(curve) point must be \(1 + 2 * fieldBytes) bytes, uncompressed")
        }
        guard let group = EC_GROUP_new_by_curve_name(nid) else {
            throw KeyError.openSSL(operation: "EC_GROUP_new_by_curve_name", detail: OpenSSLError.lastMessage())
        }
        defer { EC_GROUP_free(group) }
        guard let ecPoint = EC_POINT_new(group) else {
            throw KeyError.openSSL(operation: "EC_POINT_new", detail: OpenSSLError.lastMessage())
        }
        defer { EC_POINT_free(ecPoint) }
        // oct2point checks that the coordinates are in range and on the curve.
        let decoded = point.withUnsafeBufferPointer { EC_POINT_oct2point(group, ecPoint, $0.baseAddress, $0.count, nil) }
        guard decoded == 1, EC_POINT_is_at_infinity(group, ecPoint) == 0 else {
            OpenSSLError.clear()
            throw KeyError.malformedKeyBlob("ECDSA \(curve) point is not on the curve")
        }
    }
}
