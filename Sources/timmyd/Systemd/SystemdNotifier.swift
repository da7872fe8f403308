#if canImport(Glibc)
import Glibc
#endif
import Logging

/// Sends `sd_notify` messages (`READY=1`, `STATUS=…`, `WATCHDOG=1`, `STOPPING=1`):
/// one datagram each to `NOTIFY_SOCKET`, a path or, with a leading `@`, an
/// abstract-namespace name. Without a socket it does nothing.
struct SystemdNotifier: Sendable {
    let socketPath: String?
    let logger: Logger

    /// Best effort: systemd gone (or a test's socket closed) must not stop the daemon,
    /// so a failure is logged, not thrown.
    func send(_ lines: String...) {
        guard let socketPath else { return }
        let message = lines.joined(separator: "\n")
        if let failure = Self.sendDatagram(message, to: socketPath) {
            logger.warning("cannot notify systemd", metadata: ["error": "\(failure)"])
        }
    }

    /// nil on success, else the failure's text.
    static func sendDatagram(_ message: String, to socketPath: String) -> String? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var path = Array(socketPath.utf8)
        if path.first == UInt8(ascii: "@") { path[0] = 0 }  // abstract namespace
        let capacity = MemoryLayout.size(ofValue: address.sun_path)
        guard !path.isEmpty, path.count < capacity else { return "NOTIFY_SOCKET is too long or empty" }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: path) }
        // An abstract name's length is exact (no terminating NUL); a path's may include one.
        let length = socklen_t(MemoryLayout.offset(of: \sockaddr_un.sun_path)! + path.count)

        let descriptor = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard descriptor >= 0 else { return "socket: \(String(cString: strerror(errno)))" }
        defer { close(descriptor) }
        let bytes = Array(message.utf8)
        let sent = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { socketAddress in
                bytes.withUnsafeBytes { sendto(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL), socketAddress, length) }
            }
        }
        guard sent == bytes.count else { return "sendto: \(String(cString: strerror(errno)))" }
        return nil
    }
}
