import Foundation
import Protocol

/// Line-by-line reading and time-limited sending on a `RawSocket`, for attacks that
/// send more than the daemon will read.
extension RawSocket {
    /// Gives up a send that cannot make progress for `seconds` (the daemon stopped reading).
    func setSendTimeout(seconds: Int) {
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    /// Sends all of `bytes`, or as much as the daemon takes before the send timeout; returns the count sent.
    @discardableResult
    func sendAll(_ bytes: [UInt8]) -> Int {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EINTR { continue }
                return offset
            }
            checker?.sent(Array(bytes[offset..<(offset + sent)]))
            offset += sent
        }
        return offset
    }
}

/// Splits what a `RawSocket` receives into lines; nil at end of stream or after the receive timeout.
final class RawLineReader {
    let socket: RawSocket
    private var buffer: [UInt8] = []
    private var start = 0

    init(_ socket: RawSocket) {
        self.socket = socket
    }

    func next() -> [UInt8]? {
        while true {
            if let newline = buffer[start...].firstIndex(of: 10) {
                let line = Array(buffer[start..<newline])
                start = newline + 1
                socket.checker?.received(line: line)
                if start > 65_536 {
                    buffer.removeFirst(start)
                    start = 0
                }
                return line
            }
            var chunk = [UInt8](repeating: 0, count: 65_536)
            let count = chunk.withUnsafeMutableBytes { recv(socket.descriptor, $0.baseAddress, $0.count, 0) }
            if count < 0 && errno == EINTR { continue }
            guard count > 0 else { return nil }
            buffer += chunk[0..<count]
        }
    }

    func nextJSON() -> JSONValue? {
        next().flatMap { try? JSONValue.parse($0) }
    }
}

/// Hands a value to another thread in a test, where the test knows the access is safe.
final class UncheckedBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}
