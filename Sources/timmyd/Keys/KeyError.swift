/// Errors from key generation, key parsing, sealing and master-key handling.
/// Messages say what is wrong and where; they never contain key material or
/// more than a short, sanitised excerpt of untrusted input.
enum KeyError: Error, CustomStringConvertible, Equatable, Sendable {
    /// An OpenSSL call failed; `detail` is OpenSSL's error queue text.
    case openSSL(operation: String, detail: String)
    /// A comment for a generated key contains characters that cannot go on a key line.
    case invalidComment(String)

    // Buyer-supplied public key lines.
    case publicKeyTooLong(bytes: Int, limit: Int)
    case publicKeyEmpty
    case publicKeyMultipleLines
    case publicKeyControlCharacter(offset: Int)
    case publicKeyMissingBlob
    case unsupportedKeyType(String)
    case invalidBase64
    case malformedKeyBlob(String)
    case keyTypeMismatch(line: String, blob: String)
    case rsaKeyTooSmall(bits: Int, minimum: Int)
    case rsaKeyTooLarge(bits: Int, maximum: Int)

    // SecretBox.
    case invalidMasterKeyLength(Int)
    case sealedDataTooShort(Int)
    case sealedDataTooLong(Int)
    case authenticationFailed

    // Master key file.
    case masterKeyFile(path: String, problem: String)

    var description: String {
        switch self {
        case let .openSSL(operation, detail):
            return "OpenSSL \(operation) failed: \(detail)"
        case let .invalidComment(reason):
            return "invalid key comment: \(reason)"
        case let .publicKeyTooLong(bytes, limit):
            return "public key line is \(bytes) bytes; the limit is \(limit)"
        case .publicKeyEmpty:
            return "public key line is empty"
        case .publicKeyMultipleLines:
            return "public key must be a single line; found a line break inside it"
        case let .publicKeyControlCharacter(offset):
            return "public key line contains a control character at byte \(offset)"
        case .publicKeyMissingBlob:
            return "public key line has a key type but no base64 key data after it"
        case let .unsupportedKeyType(type):
            return "unsupported public key type \"\(type)\"; accepted: \(SSHPublicKey.acceptedTypes.joined(separator: ", "))"
        case .invalidBase64:
            return "public key data is not valid base64"
        case let .malformedKeyBlob(reason):
            return "public key data is malformed: \(reason)"
        case let .keyTypeMismatch(line, blob):
            return "public key line says \"\(line)\" but its key data is \"\(blob)\""
        case let .rsaKeyTooSmall(bits, minimum):
            return "RSA key is \(bits) bits; at least \(minimum) bits are required"
        case let .rsaKeyTooLarge(bits, maximum):
            return "RSA key is \(bits) bits; at most \(maximum) bits are accepted"
        case let .invalidMasterKeyLength(count):
            return "master key must be 32 bytes, got \(count)"
        case let .sealedDataTooShort(count):
            return "sealed data is \(count) bytes, shorter than nonce and tag (28 bytes)"
        case let .sealedDataTooLong(count):
            return "data of \(count) bytes is too large to seal or open"
        case .authenticationFailed:
            return "sealed data failed authentication (tampered, wrong key, or wrong associated data)"
        case let .masterKeyFile(path, problem):
            return "master key file \(path): \(problem)"
        }
    }

    /// A short, printable excerpt of untrusted text for use in a message.
    static func excerpt<S: StringProtocol>(_ text: S, limit: Int = 40) -> String {
        var out = ""
        for scalar in text.unicodeScalars.prefix(limit) {
            out.unicodeScalars.append(scalar.isASCII && scalar.value >= 0x20 && scalar.value < 0x7f ? scalar : "?")
        }
        if !text.unicodeScalars.dropFirst(limit).isEmpty { out += "…" }
        return out
    }
}
