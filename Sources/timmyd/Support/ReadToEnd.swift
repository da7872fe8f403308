#if canImport(Glibc)
import Glibc
#endif

/// Everything left to read on `descriptor`, retrying reads a signal interrupted.
/// Nil on a read error (errno says which) or once more than `limit` bytes arrived.
func readToEnd(_ descriptor: Int32, limit: Int = .max) -> [UInt8]? {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 64 * 1024)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            return nil
        }
        if count == 0 { return bytes }
        bytes.append(contentsOf: chunk[0..<count])
        if bytes.count > limit { return nil }
    }
}
