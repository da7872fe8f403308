import Foundation
import Protocol
import Testing

/// The buyer page in a real browser: real timmyd (stub backends) behind real nginx
/// running contrib/nginx/timmyd.conf (NginxServer), driven by Tests/Browser/buyer_page_test.py
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
            environment: Self.behindNginx.merging(["STUB_PROVISION_DELAY_MS": "2000", "INVOICE_EXPIRY_SECONDS": "20"]) { $1 })
            .start()
        let output = try runPageTest(daemon, scenario: "purchase")
        #expect(output.contains("paid→ready: "))
        // The page confirmed receipt right after the download: the key is wiped.
        let result = output.split(separator: "\n").first { $0.hasPrefix("RESULT ") }.map { String($0.dropFirst(7)) }
        let jobID = try #require(try result.map { try JSONValue.parse($0) }?["jobId"]?.stringValue)
        #expect(try daemon.events(jobID, reasonPrefix: "ssh key receipt confirmed").count == 1)
        #expect(!(try daemon.sealedKeyIsHeld(jobID)))
    }

    @Test func buyerPageShowsAFailedBuildWithTheRefundForm() throws {
        try BrowserTools.requireOrSkip()
        let daemon = try DaemonHarness(
            environment: Self.behindNginx.merging(["STUB_PROVISION_FAIL_AT": "droplet_created"]) { $1 }).start()
        let output = try runPageTest(daemon, scenario: "failure")
        #expect(output.contains("refund answer: "))
    }

    @Test func buyerPageShowsTheNodesSetupAsItReportsIt() throws {
        try BrowserTools.requireOrSkip()
        let fake = try FakeCloud.startOrSkip()
        // The node reports through nginx; NODE_CALLBACK_URL only has to be valid here.
        let daemon = try DaemonHarness(
            environment: Self.behindNginx.merging(fake.daemonEnvironment) { $1 }
                .merging(["NODE_CALLBACK_URL": "http://127.0.0.1:9"]) { $1 }).start()
        let output = try runPageTest(daemon, scenario: "setup", extra: ["--fake-cloud-url", fake.url])
        #expect(output.contains("setup reports shown for "))
    }

    /// Runs Tests/Browser/buyer_page_test.py against `daemon` behind nginx; its stdout.
    private func runPageTest(_ daemon: DaemonHarness, scenario: String, extra: [String] = []) throws -> String {
        let proxy = try NginxServer(daemon: daemon, webRoot: BrowserTools.repositoryRoot + "/contrib/web")
        try FileManager.default.createDirectory(atPath: Self.screenshots, withIntermediateDirectories: true)
        print("browser screenshots (\(scenario)): \(Self.screenshots)")
        let result = try runProgram(
            "/usr/bin/python3",
            [
                BrowserTools.repositoryRoot + "/Tests/Browser/buyer_page_test.py", "--scenario", scenario,
                "--base-url", proxy.baseURL, "--screenshots", Self.screenshots,
                "--download-dir", daemon.folder + "/downloads", "--access-log", proxy.accessLog,
                "--pay-command", "\(Binaries.timmyctl) simulate-payment --socket \(daemon.socketPath) {jobId}",
            ] + extra)
        print(result.stdout)
        #expect(
            result.status == 0,
            "buyer_page_test.py \(scenario) failed:\n\(result.stderr)\nnginx: \(proxy.log)\ntimmyd: \(daemon.log_().suffix(3000))")
        return result.stdout
    }
}

/// What the browser test needs from Debian, found or the test skips (fails under CI).
private enum BrowserTools {
    static let repositoryRoot = LNbitsServer.repositoryRoot.path

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
