import Foundation
import Protocol
import Testing

/// One HTTP exchange made with `curl`, as a browser behind nginx would make it.
struct CurlResponse {
    var status: Int
    /// Lower-cased names; the last value of a repeated header.
    var headers: [String: String]
    var body: String

    var json: JSONValue? { try? JSONValue.parse(body) }
    var errorReason: String? { json?["error"]?["data"]?["reason"]?.stringValue }
}

enum Curl {
    private static let counter = NSLock()
    nonisolated(unsafe) private static var next = 0

    /// Runs curl against `url` (on the Unix socket when `socket` is given) and reads the
    /// status, headers and body back from files, so nothing in the body can confuse parsing.
    static func request(
        _ method: String, _ url: String, socket: String?, token: String? = nil, body: String? = nil,
        headers: [String] = [], folder: String, extra: [String] = []
    ) throws -> CurlResponse {
        let id = counter.withLock {
            next += 1
            return next
        }
        let headerFile = folder + "/curl-\(id).headers"
        let bodyFile = folder + "/curl-\(id).body"
        defer {
            unlink(headerFile)
            unlink(bodyFile)
        }
        var arguments = ["-sS", "--max-time", "20", "-X", method, "-D", headerFile, "-o", bodyFile, "-w", "%{http_code}"]
        if let socket { arguments += ["--unix-socket", socket] }
        if let token { arguments += ["-H", "Authorization: Bearer \(token)"] }
        if body != nil { arguments += ["-H", "Content-Type: application/json", "--data-binary", "@-"] }
        for header in headers { arguments += ["-H", header] }
        let result = try runProgram("/usr/bin/curl", arguments + extra + [url], stdin: body)
        guard result.status == 0, let status = Int(result.stdout) else {
            throw HarnessError("curl \(method) \(url) failed (\(result.status)): \(result.stderr) \(result.stdout) body \(body?.count ?? 0) bytes")
        }
        var parsed: [String: String] = [:]
        let headerText = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        for line in headerText.split(separator: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            parsed[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let bodyText = (try? String(contentsOfFile: bodyFile, encoding: .utf8)) ?? ""
        return CurlResponse(status: status, headers: parsed, body: bodyText)
    }
}

extension DaemonHarness {
    /// An HTTP request to this daemon's socket.
    func http(
        _ method: String, _ path: String, token: String? = nil, body: String? = nil, headers: [String] = [],
        extra: [String] = []
    ) throws -> CurlResponse {
        try Curl.request(
            method, "http://timmyd" + path, socket: socketPath, token: token, body: body, headers: headers, folder: folder,
            extra: extra)
    }

    /// Buys over HTTP and returns the create result.
    func httpCreate(headers: [String] = []) throws -> CreateJobResult {
        let response = try http("POST", "/api/bootstrap", body: "{}", headers: headers)
        guard response.status == 201, let json = response.json else {
            throw HarnessError("POST /api/bootstrap answered \(response.status): \(response.body)")
        }
        return try CreateJobResult(json: json)
    }

    func simulatePayment(_ jobID: String) throws {
        _ = try call("admin.payments.simulate", ["jobId": .string(jobID)])
    }
}

/// A raw connection to the socket, for bytes no well-behaved client would send.
final class RawSocket {
    let descriptor: Int32
    /// Checks the JSON-RPC replies read through `RawLineReader` or `readToEnd`.
    let checker: ReplyChecker?

    init(path: String, receiveTimeout seconds: Int = 5) throws {
        // Stored only once connected: deinit runs when a fully set-up class init throws,
        // and would close the descriptor a second time.
        let candidate = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: path.utf8)
            raw[path.utf8.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(candidate, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            close(candidate)
            throw HarnessError("cannot connect to \(path)")
        }
        descriptor = candidate
        checker = RPCContracts.checker(socketPath: path)
        var timeout = timeval(tv_sec: seconds, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(descriptor) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        checker?.sent(bytes)
        _ = bytes.withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
    }

    /// Everything until the peer closes; nil if the receive timeout passed first.
    func readToEnd() -> [UInt8]? {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
            if count == 0 {
                if let checker { for line in all.split(separator: 10) { checker.received(line: Array(line)) } }
                return all
            }
            if count < 0 {
                if errno == EINTR { continue }
                // EAGAIN: the timeout; ECONNRESET also means the daemon closed the connection.
                return errno == ECONNRESET ? all : nil
            }
            all += buffer[0..<count]
        }
    }
}
