#if canImport(FoundationEssentials)
import FoundationEssentials
#else
import Foundation
#endif

/// Base64 (RFC 4648) on top of Foundation's Data coder. Decoding is strict:
/// padding is required for the standard alphabet, no whitespace is allowed,
/// and non-canonical input (non-zero unused bits) is refused.
enum Base64 {
    static func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
    }

    static func decode(_ s: String) -> [UInt8]? {
        guard let data = Data(base64Encoded: s) else { return nil }
        let bytes = [UInt8](data)
        // Foundation accepts e.g. "AB==" for [0x00]; only the canonical spelling is valid here.
        guard encode(bytes) == s else { return nil }
        return bytes
    }

    /// URL-safe alphabet ("-", "_"), without "=" padding (RFC 4648 §5).
    static func urlEncodeNoPadding(_ bytes: [UInt8]) -> String {
        var s = encode(bytes)
        while s.hasSuffix("=") { s.removeLast() }
        return String(s.map { $0 == "+" ? "-" : $0 == "/" ? "_" : $0 })
    }

    /// Decodes the URL-safe alphabet, padded or not; refuses "+" and "/".
    static func urlDecode(_ s: String) -> [UInt8]? {
        var unpadded = Substring(s)
        while unpadded.hasSuffix("=") { unpadded.removeLast() }
        guard unpadded.utf8.count % 4 != 1 else { return nil }
        // Padding, if present, must be exactly what the length implies.
        let padding = (4 - unpadded.utf8.count % 4) % 4
        guard s.utf8.count == unpadded.utf8.count || s.utf8.count == unpadded.utf8.count + padding else { return nil }
        guard !unpadded.contains("+"), !unpadded.contains("/"), !unpadded.contains("=") else { return nil }
        let standard = String(unpadded.map { $0 == "-" ? "+" : $0 == "_" ? "/" : $0 }) + String(repeating: "=", count: padding)
        return decode(standard)
    }
}
