import Foundation
import Testing

/// The buyer page in a real browser: real timmyd (stub backends) behind real nginx,
/// configured from contrib/nginx/timmyd.conf, driven by Tests/Browser/buyer_page_test.py
/// in headless Chromium. Screenshots land in .build/test-artifacts/browser/.
@Suite(.serialized)
struct BrowserPageTests {
    static let screenshots = BrowserTools.repositoryRoot + "/.build/test-artifacts/browser"
    /// nginx's workers (nogroup when the test runs as root) reach the socket through its
    /// group; the daemon counts unpaid jobs per address nginx saw.
    static let behindNginx = ["TIMMY_SOCKET_GROUP": "nogroup", "HTTP_TRUST_FORWARDED_FOR": "true"]

    @Test func buyerPageBuysPaysAndHandsOverTheKeyThroughNginx() throws {
        try BrowserTools.requireOrSkip()
        // The default stub delay (2 s) leaves time to photograph "provisioning";
        // short invoices let the test watch one expire.
        let daemon = try DaemonHarness(
            environment: Self.behindNginx.merging(["STUB_PROVISION_DELAY_MS": "2000", "INVOICE_EXPIRY_SECONDS": "15"]) { $1 })
            .start()
        let output = try runPageTest(daemon, scenario: "purchase")
        #expect(output.contains("paid→ready: "))
    }

    @Test func buyerPageShowsAFailedBuildWithTheRefundForm() throws {
        try BrowserTools.requireOrSkip()
        let daemon = try DaemonHarness(
            environment: Self.behindNginx.merging(["STUB_PROVISION_FAIL_AT": "droplet_created"]) { $1 }).start()
        let output = try runPageTest(daemon, scenario: "failure")
        #expect(output.contains("refund answer: "))
    }

    /// Runs Tests/Browser/buyer_page_test.py against `daemon` behind nginx; its stdout.
    private func runPageTest(_ daemon: DaemonHarness, scenario: String) throws -> String {
        let proxy = try PageProxy(socketPath: daemon.socketPath)
        defer { proxy.stop() }
        try FileManager.default.createDirectory(atPath: Self.screenshots, withIntermediateDirectories: true)
        print("browser screenshots (\(scenario)): \(Self.screenshots)")
        let result = try runProgram(
            "/usr/bin/python3",
            [
                BrowserTools.repositoryRoot + "/Tests/Browser/buyer_page_test.py", "--scenario", scenario,
                "--base-url", proxy.baseURL, "--screenshots", Self.screenshots,
                "--download-dir", daemon.folder + "/downloads", "--access-log", proxy.accessLog,
                "--pay-command", "\(Binaries.timmyctl) simulate-payment --socket \(daemon.socketPath) {jobId}",
            ])
        print(result.stdout)
        #expect(
            result.status == 0,
            "buyer_page_test.py \(scenario) failed:\n\(result.stderr)\nnginx: \(proxy.errorLog())\ntimmyd: \(daemon.log_().suffix(3000))")
        return result.stdout
    }
}

/// What the browser test needs from Debian, found or the test skips (fails under CI).
private enum BrowserTools {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    static func requireOrSkip() throws {
        var missing = ["/usr/bin/chromium", "/usr/bin/chromedriver", "/usr/sbin/nginx", "/usr/bin/python3"]
            .filter { !FileManager.default.isExecutableFile(atPath: $0) }
        if missing.isEmpty, (try? runProgram("/usr/bin/python3", ["-c", "import selenium"]))?.status != 0 {
            missing.append("python3-selenium")
        }
        guard !missing.isEmpty else { return }
        let why = "missing \(missing.joined(separator: ", ")) (contrib/setup-debian.sh installs them)"
        // CI installs them all, so there their absence is a failure.
        if ProcessInfo.processInfo.environment["CI"] == "true" { throw HarnessError(why) }
        try Test.cancel("skipped: \(why)")
    }
}

/// nginx on a free loopback port, unprivileged-style (its own prefix folder, no
/// daemonizing), serving contrib/web and proxying /api/ to the test daemon's socket.
private final class PageProxy {
    let folder: String
    let port: Int
    private let process: Process

    var baseURL: String { "http://127.0.0.1:\(port)/" }
    var accessLog: String { folder + "/access.log" }
    func errorLog() -> String { (try? String(contentsOfFile: folder + "/error.log", encoding: .utf8)) ?? "" }

    init(socketPath: String) throws {
        var template = Array((NSTemporaryDirectory() + "/timmyd-nginx-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw HarnessError("mkdtemp failed") }
        folder = String(cString: made)
        // As root, nginx's workers run as nobody: they must reach their temp folders here.
        chmod(folder, 0o755)
        port = try LNbitsServer.freePort()
        let site = try String(contentsOfFile: BrowserTools.repositoryRoot + "/contrib/nginx/timmyd.conf", encoding: .utf8)
        try Self.configuration(site: site, folder: folder, port: port, socketPath: socketPath)
            .write(toFile: folder + "/nginx.conf", atomically: true, encoding: .utf8)

        process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // As in DaemonHarness: the shell redirects and becomes nginx, so no FileHandle is shared.
        process.arguments = [
            "-c", "exec \"$0\" \"$@\" >>\"$NGINX_TEST_OUT\" 2>&1", "/usr/sbin/nginx", "-p", folder + "/",
            "-e", folder + "/error.log", "-c", folder + "/nginx.conf", "-g", "daemon off;",
        ]
        process.environment = ["PATH": "/usr/bin:/bin:/usr/sbin:/sbin", "NGINX_TEST_OUT": folder + "/nginx.out"]
        try process.run()
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if Self.answers(port: port) { return }
            guard process.isRunning else { break }
            usleep(20_000)
        }
        let output = (try? String(contentsOfFile: folder + "/nginx.out", encoding: .utf8)) ?? ""
        stop()
        throw HarnessError("nginx did not start: \(output) \(errorLog())")
    }

    func stop() {
        if process.isRunning {
            process.terminate() // SIGTERM: nginx's fast shutdown, which closes open event streams too
            process.waitUntilExit()
        }
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: folder)
    }

    /// The shipped site config with test paths: this port, the repository's page,
    /// the test socket. Everything else (headers, buffering, timeouts) is as shipped.
    static func configuration(site: String, folder: String, port: Int, socketPath: String) throws -> String {
        var server = site
        server = server.replacing(try Regex(#"(?m)^\s*listen\s[^;]*;\s*$"#), with: "")
        server = server.replacing(try Regex(#"(?m)^(\s*server\s*\{)"#), maxReplacements: 1) { match in
            "\(match.output[1].substring ?? "server {")\n    listen 127.0.0.1:\(port);"
        }
        server = server.replacing(try Regex(#"(?m)^(\s*root\s)[^;]*;"#)) { match in
            "\(match.output[1].substring ?? "root ")\(BrowserTools.repositoryRoot)/contrib/web;"
        }
        server = server.replacing(try Regex(#"unix:/[^\s;:]+"#), with: "unix:\(socketPath)")
        server = server.replacing(try Regex(#"(?m)^(\s*access_log\s+)[^\s;]+"#)) { match in
            "\(match.output[1].substring ?? "access_log ")\(folder)/access.log"
        }
        // As root, workers run as nobody:nogroup, the group the test daemon gives its socket
        // (as a packaged nginx runs as www-data in the socket's group, never a world-open socket).
        let user = getuid() == 0 ? "user nobody nogroup;" : ""
        return """
            \(user)
            worker_processes 1;
            pid \(folder)/nginx.pid;
            events { worker_connections 64; }
            http {
                include /etc/nginx/mime.types;
                default_type application/octet-stream;
                access_log \(folder)/access.log;
                client_body_temp_path \(folder)/client_body;
                proxy_temp_path \(folder)/proxy;
                fastcgi_temp_path \(folder)/fastcgi;
                uwsgi_temp_path \(folder)/uwsgi;
                scgi_temp_path \(folder)/scgi;
            \(server)
            }
            """
    }

    static func answers(port: Int) -> Bool {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
    }
}
