import Foundation

/// A stand-in for systemd's notification socket: a Unix datagram socket the test
/// binds (at a path, or an abstract `@name`), collecting what timmyd sends.
final class NotifySocket {
    let address: String
    private let descriptor: Int32
    private(set) var messages: [String] = []

    init(address: String) throws {
        self.address = address
        descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard descriptor >= 0 else { throw HarnessError("socket failed") }
        var name = sockaddr_un()
        name.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(address.utf8)
        if bytes.first == UInt8(ascii: "@") { bytes[0] = 0 }
        withUnsafeMutableBytes(of: &name.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout.offset(of: \sockaddr_un.sun_path)! + bytes.count)
        let bound = withUnsafePointer(to: &name) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) }
        }
        guard bound == 0 else { throw HarnessError("bind \(address): \(String(cString: strerror(errno)))") }
    }

    deinit { close(descriptor) }

    /// Collects datagrams until one contains `line` (true) or `timeout` passes (false).
    @discardableResult
    func waitFor(_ line: String, timeout: Double = 20) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if messages.contains(where: { $0.split(separator: "\n").contains { $0 == line } }) { return true }
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, 50) == 1 else { continue }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            if count > 0 { messages.append(String(decoding: buffer[..<count], as: UTF8.self)) }
        }
        return messages.contains(where: { $0.split(separator: "\n").contains { $0 == line } })
    }

    /// Every line received so far, in order.
    var lines: [String] { messages.flatMap { $0.split(separator: "\n").map(String.init) } }
}
