#if canImport(Glibc)
import Glibc
#endif

/// The baseline server: a Unix socket, a thread per connection, and for every request
/// line one reply line of a fixed size (the size of the daemon's reply it stands beside).
/// The replies to all lines found in one read go out in one write.
final class EchoServer: @unchecked Sendable {
    let socketPath: String
    private let listener: Int32
    private let reply: [UInt8]
    private var acceptThread: PlainThread?

    init(socketPath: String, replyLength: Int) throws(BenchError) {
        self.socketPath = socketPath
        self.reply = Array(repeating: UInt8(ascii: "x"), count: max(0, replyLength)) + [UInt8(ascii: "\n")]
        unlink(socketPath)
        listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw BenchError("socket: \(errnoText())") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let pathBytes = Array(socketPath.utf8)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: pathBytes)
            raw[pathBytes.count] = 0
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0, listen(listener, 256) == 0 else { throw BenchError("bind \(socketPath): \(errnoText())") }
        acceptThread = PlainThread.start { [self] in acceptLoop() }
    }

    /// Stops accepting; connection threads end as their clients hang up.
    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
        acceptThread?.join()
        unlink(socketPath)
    }

    private func acceptLoop() {
        while true {
            let connection = accept(listener, nil, nil)
            if connection < 0 {
                if errno == EINTR { continue }
                return
            }
            let reply = self.reply
            PlainThread.start { Self.serve(connection, reply: reply) }.detach()
        }
    }

    private static func serve(_ connection: Int32, reply: [UInt8]) {
        defer { close(connection) }
        var input = [UInt8](repeating: 0, count: 65_536)
        var output: [UInt8] = []
        while true {
            let received = input.withUnsafeMutableBytes { read(connection, $0.baseAddress!, $0.count) }
            if received < 0 && errno == EINTR { continue }
            guard received > 0 else { return }
            output.removeAll(keepingCapacity: true)
            for index in 0..<received where input[index] == UInt8(ascii: "\n") { output.append(contentsOf: reply) }
            var offset = 0
            while offset < output.count {
                let written = output.withUnsafeBytes { write(connection, $0.baseAddress! + offset, output.count - offset) }
                if written < 0 {
                    if errno == EINTR { continue }
                    return
                }
                offset += written
            }
        }
    }
}
