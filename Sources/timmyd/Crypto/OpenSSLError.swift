import COpenSSL

/// Reads (and clears) OpenSSL's thread-local error queue. The strings name
/// the library, function and reason; they never contain key material.
enum OpenSSLError {
    static func lastMessage() -> String {
        var messages: [String] = []
        while true {
            let code = ERR_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return messages.isEmpty ? "no OpenSSL error reported" : messages.joined(separator: "; ")
    }

    /// Empties the error queue, e.g. after an expected failure.
    static func clear() { ERR_clear_error() }
}

/// Overwrites a buffer with zeros in a way the optimiser will not elide.
func secureZero(_ bytes: inout [UInt8]) {
    bytes.withUnsafeMutableBytes { raw in
        if let base = raw.baseAddress, raw.count > 0 { OPENSSL_cleanse(base, raw.count) }
    }
}
