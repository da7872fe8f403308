#if canImport(Glibc)
import Glibc
#endif

/// Writes every byte of `text` to `descriptor`, resuming after short writes and
/// interruptions. False if the descriptor refused (errno says why).
func writeAll(_ descriptor: Int32, _ text: String) -> Bool {
    writeAll(descriptor, Array(text.utf8))
}

/// Writes every byte to `descriptor`, as above.
func writeAll(_ descriptor: Int32, _ bytes: [UInt8]) -> Bool {
    var offset = 0
    while offset < bytes.count {
        let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
        if written < 0 && errno == EINTR { continue }
        guard written > 0 else { return false }
        offset += written
    }
    return true
}
