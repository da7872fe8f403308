import Foundation
import Protocol

/// A tiny HTTP/1.1 receiver on a loopback port for the alert webhook: it keeps every
/// request's body and answers each with the next status of `statuses` (the last one
/// repeats), closing the connection after each answer.
final class WebhookReceiver: @unchecked Sendable {
    struct Delivery {
        var at: Date
        var headers: [String: String]
        var body: String
        var json: JSONValue? { try? JSONValue.parse(body) }
    }

    let port: Int
    private let listener: Int32
    private let lock = NSLock()
    private var statuses: [Int]
    private var received: [Delivery] = []

    var url: String { "http://127.0.0.1:\(port)/hooks/timmy" }

    init(statuses: [Int] = [200]) throws {
        self.statuses = statuses
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard listener >= 0 else { throw HarnessError("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(listener, 16) == 0 else { throw HarnessError("bind/listen failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(listener, $0, &length) }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        self.listener = listener
        let thread = Thread { [self] in self.serve() }
        thread.start()
    }

    /// Stops listening (the serving thread holds the receiver until then).
    func close() {
        shutdown(listener, Int32(SHUT_RDWR))
        Glibc.close(listener)
    }

    /// Changes the answers from now on.
    func answer(with statuses: [Int]) {
        lock.withLock { self.statuses = statuses }
    }

    var deliveries: [Delivery] { lock.withLock { received } }

    /// Waits until `count` requests arrived whose body satisfies `matching`, and returns them.
    func waitFor(
        _ count: Int = 1, timeout: Double = 20, matching: (Delivery) -> Bool = { _ in true }
    ) throws -> [Delivery] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let found = deliveries.filter(matching)
            if found.count >= count { return found }
            usleep(20_000)
        }
        throw HarnessError("webhook got \(deliveries.filter(matching).count) of \(count) expected requests: \(deliveries.map(\.body))")
    }

    private func serve() {
        while true {
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { return }
            handle(connection)
            Glibc.close(connection)
        }
    }

    private func handle(_ connection: Int32) {
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        var headerEnd: Int?
        var contentLength = 0
        while true {
            let count = read(connection, &buffer, buffer.count)
            guard count > 0 else { return }
            bytes += buffer[0..<count]
            if headerEnd == nil, let range = findHeaderEnd(bytes) {
                headerEnd = range
                let head = String(decoding: bytes[0..<range], as: UTF8.self)
                for line in head.split(separator: "\r\n") where line.lowercased().hasPrefix("content-length:") {
                    contentLength = Int(line.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) ?? 0
                }
            }
            if let headerEnd, bytes.count >= headerEnd + 4 + contentLength { break }
        }
        guard let headerEnd else { return }
        let head = String(decoding: bytes[0..<headerEnd], as: UTF8.self)
        var headers: [String: String] = [:]
        for line in head.split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let body = String(decoding: bytes[(headerEnd + 4)...], as: UTF8.self)
        let status = lock.withLock { () -> Int in
            received.append(Delivery(at: Date(), headers: headers, body: body))
            return statuses.count > 1 ? statuses.removeFirst() : (statuses.first ?? 200)
        }
        let reply = "HTTP/1.1 \(status) X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok"
        _ = reply.withCString { write(connection, $0, strlen($0)) }
    }

    private func findHeaderEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for index in 0...(bytes.count - 4) where bytes[index] == 13 && bytes[index + 1] == 10 && bytes[index + 2] == 13 && bytes[index + 3] == 10 {
            return index
        }
        return nil
    }
}
