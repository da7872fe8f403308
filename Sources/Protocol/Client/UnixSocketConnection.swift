#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Why talking to the daemon failed below the JSON-RPC layer.
public struct ConnectionError: Error, Sendable, CustomStringConvertible {
    public let description: String

    init(_ description: String) { self.description = description }

    static func system(_ what: String, path: String) -> ConnectionError {
        ConnectionError("\(what) \(path): \(String(cString: strerror(errno)))")
    }
}

/// A blocking stream connection to a Unix socket. Blocking I/O keeps a one-shot
/// command-line client small and quick to start; the daemon side is event-driven.
final class UnixSocketConnection {
    private let descriptor: Int32
    let path: String

    init(path: String) throws(ConnectionError) {
        self.path = path
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard path.utf8.count < capacity else {
            throw ConnectionError("socket path is longer than \(capacity - 1) bytes: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        #if canImport(Glibc)
        let kind = Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue)
        #else
        let kind = SOCK_STREAM
        #endif
        // The descriptor is stored only once connected: a class whose init throws after
        // every stored property is set runs its deinit, which would close it a second
        // time (and perhaps another thread's newly opened file with the same number).
        let candidate = socket(AF_UNIX, kind, 0)
        guard candidate >= 0 else { throw .system("cannot create a socket for", path: path) }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(candidate, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else {
            let error = ConnectionError.system("cannot connect to timmyd at", path: path)
            close(candidate)
            throw error
        }
        descriptor = candidate
    }

    deinit { close(descriptor) }

    func write(_ bytes: [UInt8]) throws(ConnectionError) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw .system("cannot write to", path: path)
            }
            offset += written
        }
    }

    /// Up to `maximum` bytes; an empty array at end of stream.
    func read(maximum: Int = 65_536) throws(ConnectionError) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: maximum)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count >= 0 { return Array(buffer[0..<count]) }
            if errno == EINTR { continue }
            throw .system("cannot read from", path: path)
        }
    }

    /// Tells the daemon no more requests follow; replies still arrive.
    func shutdownWrite() {
        shutdown(descriptor, Int32(SHUT_WR))
    }
}
