#if canImport(Glibc)
import Glibc
#endif

/// The one client every socket figure uses, for the daemon and for the echo baseline
/// alike: plain blocking POSIX calls on a Unix socket, newline-framed replies.
final class BlockingLineClient {
    private let descriptor: Int32
    private var pending: [UInt8] = []
    private var buffer = [UInt8](repeating: 0, count: 65_536)

    init(socketPath: String) throws(BenchError) {
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw BenchError("socket: \(errnoText())") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        guard pathBytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close(descriptor)
            throw BenchError("socket path too long: \(socketPath)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let text = errnoText()
            close(descriptor)
            throw BenchError("connect \(socketPath): \(text)")
        }
    }

    deinit { close(descriptor) }

    /// Sends bytes whole (lines already end in `\n`).
    func send(_ bytes: [UInt8]) throws(BenchError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress! + offset, bytes.count - offset) }
            if written < 0 {
                if errno == EINTR { continue }
                throw BenchError("write: \(errnoText())")
            }
            offset += written
        }
    }

    /// Reads until `count` more newline-terminated lines have arrived; returns the last one's length.
    @discardableResult
    func readLines(_ count: Int) throws(BenchError) -> Int {
        var remaining = count
        var lastLength = 0
        while remaining > 0 {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                lastLength = newline
                pending.removeSubrange(0...newline)
                remaining -= 1
                continue
            }
            let received = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if received < 0 {
                if errno == EINTR { continue }
                throw BenchError("read: \(errnoText())")
            }
            guard received > 0 else { throw BenchError("connection closed with \(remaining) replies missing") }
            pending.append(contentsOf: buffer[0..<received])
        }
        return lastLength
    }

    /// Reads one reply line and returns it as text.
    func readLine() throws(BenchError) -> String {
        while true {
            if let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                let line = String(decoding: pending[..<newline], as: UTF8.self)
                pending.removeSubrange(0...newline)
                return line
            }
            let received = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress!, $0.count) }
            if received < 0 {
                if errno == EINTR { continue }
                throw BenchError("read: \(errnoText())")
            }
            guard received > 0 else { throw BenchError("connection closed") }
            pending.append(contentsOf: buffer[0..<received])
        }
    }

    /// One request, one reply: the round trip in nanoseconds.
    func roundTrip(_ line: [UInt8]) throws(BenchError) -> UInt64 {
        let start = monotonicNanoseconds()
        try send(line)
        try readLines(1)
        return monotonicNanoseconds() - start
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

func errnoText() -> String { String(cString: strerror(errno)) }
