import Foundation
import Protocol
import Testing

/// The fake DigitalOcean + Tailscale API (`Tests/Fakes/fake_cloud.py`) on a free
/// loopback port, validating every request against `../shared/do-api/do-ops.json`.
/// It stops when its stdin closes: the test process blocks SIGTERM, which children inherit.
final class FakeCloud {
    static let script = LNbitsServer.repositoryRoot.appendingPathComponent("Tests/Fakes/fake_cloud.py").path
    static let opsFile = LNbitsServer.repositoryRoot.deletingLastPathComponent()
        .appendingPathComponent("shared/do-api/do-ops.json").standardized.path
    /// The fake's default credentials.
    static let doToken = "dop_v1_0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    static let tailscaleKey = "tskey-api-test"

    let port: Int
    let folder: String
    private let pid: pid_t
    private var stdinWriter: Int32

    var url: String { "http://127.0.0.1:\(port)" }

    /// The daemon's settings for real provisioning against this fake, quick timings.
    var daemonEnvironment: [String: String] {
        [
            "DO_API_TOKEN": Self.doToken, "DO_API_URL": url, "TAILSCALE_API_KEY": Self.tailscaleKey, "TAILSCALE_API_URL": url,
            "DO_VOLUME_SIZE_GB": "10", "DROPLET_POLL_INTERVAL_MS": "50", "CLOUD_RETRY_BASE_MS": "20",
            "CLOUD_HTTP_TIMEOUT_MS": "5000",
        ]
    }

    /// A started fake, or the test is skipped when do-ops.json is absent (a failure under CI).
    static func startOrSkip() throws -> FakeCloud {
        guard FileManager.default.fileExists(atPath: opsFile) else {
            let why = "\(opsFile) is missing: the shared do-api folder must sit beside the repository"
            if ProcessInfo.processInfo.environment["CI"] == "true" { throw HarnessError(why) }
            try Test.cancel("skipped: \(why)")
        }
        return try FakeCloud()
    }

    private init() throws {
        var template = Array((NSTemporaryDirectory() + "/timmyd-fakecloud-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else { throw HarnessError("mkdtemp failed") }
        folder = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let portFile = folder + "/port"
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw HarnessError("pipe failed") }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, fds[0], 0)
        posix_spawn_file_actions_addopen(&actions, 1, folder + "/fake.log", O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        }
        let arguments = ["/usr/bin/env", "python3", Self.script, "--ops", Self.opsFile, "--port-file", portFile]
        let argv = arguments.map { strdup($0) } + [nil]
        let environment: [String] = ["PATH=/usr/local/bin:/usr/bin:/bin", "LANG=C.UTF-8"]
        let envp = environment.map { strdup($0) } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var child = pid_t()
        let spawned = posix_spawn(&child, "/usr/bin/env", &actions, nil, argv, envp)
        close(fds[0])
        guard spawned == 0 else {
            close(fds[1])
            throw HarnessError("posix_spawn fake_cloud.py failed: \(spawned)")
        }
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        pid = child
        stdinWriter = fds[1]
        let deadline = Date().addingTimeInterval(15)
        var found: Int? = nil
        while Date() < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8),
                let number = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                found = number
                break
            }
            usleep(20_000)
        }
        guard let found else {
            let log = (try? String(contentsOfFile: folder + "/fake.log", encoding: .utf8)) ?? ""
            Self.stop(pid: child, writer: &stdinWriter)
            throw HarnessError("fake_cloud.py did not start: \(log.suffix(2000))")
        }
        port = found
    }

    deinit {
        Self.stop(pid: pid, writer: &stdinWriter)
        try? FileManager.default.removeItem(atPath: folder)
    }

    private static func stop(pid: pid_t, writer: inout Int32) {
        guard writer >= 0 else { return }
        close(writer)
        writer = -1
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
    }

    // MARK: Control API

    func state() throws -> JSONValue { try request("GET", "/_fake/state") }

    func faults(_ rules: [JSONValue]) throws { _ = try request("POST", "/_fake/faults", ["rules": .array(rules)]) }

    func configure(activeAfterPolls: Int? = nil, neverActive: Bool? = nil) throws {
        var body: [String: JSONValue] = [:]
        if let activeAfterPolls { body["activeAfterPolls"] = .int(Int64(activeAfterPolls)) }
        if let neverActive { body["neverActive"] = .bool(neverActive) }
        _ = try request("POST", "/_fake/config", .object(body))
    }

    /// A DigitalOcean API call with the fake's token (to plant resources the daemon does not know).
    func digitalOcean(_ method: String, _ path: String, _ body: JSONValue? = nil) throws -> JSONValue {
        try request(method, path, body, headers: ["Authorization": "Bearer \(Self.doToken)"])
    }

    /// One blocking HTTP/1.1 exchange with `Connection: close`; the reply's JSON body
    /// (`{}` when empty). A status of 400 or more is an error.
    func request(_ method: String, _ path: String, _ body: JSONValue? = nil, headers: [String: String] = [:]) throws -> JSONValue {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw HarnessError("connect to the fake failed") }
        let payload = body.map { Array($0.serialized().utf8) } ?? []
        var head = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nConnection: close\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        if body != nil { head += "Content-Type: application/json\r\nContent-Length: \(payload.count)\r\n" }
        let bytes = Array((head + "\r\n").utf8) + payload
        var sent = 0
        while sent < bytes.count {
            let n = bytes[sent...].withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
            guard n > 0 else { throw HarnessError("write to the fake failed") }
            sent += n
        }
        var reply: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { break }
            reply += chunk[0..<n]
        }
        let text = String(decoding: reply, as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw HarnessError("no HTTP reply from the fake") }
        let statusLine = text[..<split.lowerBound].split(separator: "\r\n").first ?? ""
        let status = Int(statusLine.split(separator: " ").dropFirst().first ?? "") ?? 0
        let content = String(text[split.upperBound...])
        guard status < 400 else { throw HarnessError("fake answered \(status): \(content.prefix(500))") }
        return content.isEmpty ? [:] : try JSONValue.parse(content)
    }
}
