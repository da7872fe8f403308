import Foundation
import Protocol
import Testing

/// The whole purchase through a real nginx running the shipped site config, in front
/// of a real daemon: what a buyer's browser does, with curl.
@Suite(.serialized) struct NginxFrontTests {
    static let page = "<!doctype html><title>timmyd test page</title>\n"

    func start(_ environment: [String: String] = [:]) throws -> (DaemonHarness, NginxServer) {
        // The socket's group is nginx's worker group (nogroup when nginx starts as root), mode 0660.
        let group = getuid() == 0 ? "nogroup" : String(cString: getgrgid(getgid()).pointee.gr_name)
        let daemon = try DaemonHarness(
            environment: ["TIMMY_SOCKET_GROUP": group, "HTTP_TRUST_FORWARDED_FOR": "true"].merging(environment) { _, new in new }
        ).start()
        let web = daemon.folder + "/web"
        try FileManager.default.createDirectory(atPath: web, withIntermediateDirectories: true)
        try Self.page.write(toFile: web + "/index.html", atomically: true, encoding: .utf8)
        chmod(web + "/index.html", 0o644)
        return (daemon, try NginxServer(daemon: daemon, webRoot: web))
    }

    @Test func buyPayWatchAndClaimTheKeyThroughNginx() throws {
        let (daemon, nginx) = try start()
        var socketInfo = stat()
        stat(daemon.socketPath, &socketInfo)
        #expect(socketInfo.st_mode & 0o777 == 0o660)

        let page = try nginx.request("GET", "/")
        #expect(page.status == 200)
        #expect(page.body == Self.page)
        let info = try nginx.request("GET", "/api/info")
        #expect(info.status == 200)
        #expect(info.headers["cache-control"] == "no-store")
        #expect(info.json?["priceSats"] != nil)
        // The API's description is published through the proxy too, for whoever builds on it.
        let openAPI = try nginx.request("GET", "/api/openapi.json")
        #expect(openAPI.status == 200)
        #expect(openAPI.json?["openapi"] == "3.1.0")

        let created = try nginx.request("POST", "/api/bootstrap", body: "{}")
        #expect(created.status == 201, "\(created.body) \(nginx.log)")
        let job = try CreateJobResult(json: try #require(created.json))
        let svg = try nginx.request("GET", "/api/bootstrap/\(job.jobId)/invoice.svg", token: job.accessToken)
        #expect(svg.status == 200)
        #expect(svg.headers["content-type"] == "image/svg+xml")

        // The event stream passes through unbuffered: the first event arrives before anything changes.
        let stream = try StreamThroughNginx(nginx: nginx, job: job)
        let firstSeen = stream.waitFor { $0.contains("awaiting_payment") }
        #expect(firstSeen, "no event through nginx before payment: \(stream.text)")
        let paidAt = Date()
        // Pay as the operator: admin.payments.simulate on the raw socket (the test user is an admin there).
        try daemon.simulatePayment(job.jobId)
        #expect(stream.waitForEnd(), "the stream did not end: \(stream.text)")
        let readyAfter = Date().timeIntervalSince(paidAt)
        #expect(stream.text.contains("\"state\":\"ready\""))
        #expect(readyAfter < 10, "\(readyAfter) s from paid to ready")

        let status = try nginx.request("GET", "/api/bootstrap/\(job.jobId)", token: job.accessToken)
        #expect(status.json?["state"] == "ready")
        let key = try nginx.request("POST", "/api/bootstrap/\(job.jobId)/key", token: job.accessToken)
        #expect(key.status == 200, "\(key.body)")
        let claimed = try ClaimKeyResult(json: try #require(key.json))
        let keyPath = daemon.folder + "/nginx_key"
        _ = FileManager.default.createFile(
            atPath: keyPath, contents: Data(claimed.sshPrivateKey.utf8), attributes: [.posixPermissions: 0o600])
        let derived = try runProgram("/usr/bin/ssh-keygen", ["-y", "-f", keyPath])
        #expect(derived.status == 0, "\(derived.stderr)")
        #expect(publicKeyBody(derived.stdout) == publicKeyBody(claimed.sshPublicKey))
        // Through nginx too: the same key until receipt is confirmed, then 409.
        let again = try nginx.request("POST", "/api/bootstrap/\(job.jobId)/key", token: job.accessToken)
        #expect(again.status == 200)
        #expect(try ClaimKeyResult(json: try #require(again.json)) == claimed)
        let confirmed = try nginx.request(
            "POST", "/api/bootstrap/\(job.jobId)/key/confirm", token: job.accessToken,
            body: #"{"sshKeyFingerprint":"\#(claimed.sshKeyFingerprint)"}"#)
        #expect(confirmed.status == 200, "\(confirmed.body)")
        let after = try nginx.request("POST", "/api/bootstrap/\(job.jobId)/key", token: job.accessToken)
        #expect(after.status == 409)
        #expect(after.errorReason == "key_already_claimed")

        // The token never reaches nginx's log (it travels only in the Authorization header).
        let accessLog = (try? String(contentsOfFile: nginx.accessLog, encoding: .utf8)) ?? ""
        #expect(accessLog.contains("POST /api/bootstrap/\(job.jobId)/key"))
        #expect(!accessLog.contains(job.accessToken))
    }

    @Test func nginxLimitsAndReplacesForwardedFor() throws {
        let (daemon, nginx) = try start(["HTTP_MAX_UNPAID_PER_ADDRESS": "2"])
        defer { withExtendedLifetime(daemon) {} }
        #expect(try nginx.request("POST", "/api/bootstrap", body: "{}").status == 201)
        #expect(try nginx.request("POST", "/api/bootstrap", body: "{}").status == 201)
        // A buyer's own X-Forwarded-For is replaced by the address nginx saw: still the same buyer.
        let spoofed = try nginx.request("POST", "/api/bootstrap", body: "{}", headers: ["X-Forwarded-For: 198.51.100.77"])
        #expect(spoofed.status == 429)
        #expect(spoofed.errorReason == "too_many_unpaid")
        // nginx refuses a body over its own 16k limit before timmyd sees it.
        let huge = try nginx.request("POST", "/api/bootstrap", body: "{\"label\": \"\(String(repeating: "a", count: 40_000))\"}")
        #expect(huge.status == 413)
        let unknown = try nginx.request("GET", "/api/nope")
        #expect(unknown.status == 404)
        #expect(unknown.errorReason == "no_route")
    }

    @Test func nginxLimitsRequestRateAndStreamsPerAddress() throws {
        let (daemon, nginx) = try start()
        let job = try daemon.create()
        // Four event streams from one address pass; the fifth is turned away by nginx.
        let streams = try (0..<4).map { try StreamThroughNginx(nginx: nginx, job: job, name: "events-\($0)") }
        for stream in streams { #expect(stream.waitFor { $0.contains("awaiting_payment") }, "\(stream.text)") }
        let fifth = try nginx.request("GET", "/api/bootstrap/\(job.jobId)/events", token: job.accessToken)
        #expect(fifth.status == 429)
        #expect(fifth.errorReason == "rate_limited")
        #expect(fifth.headers["retry-after"] == "1")
        // A burst of requests: the first pass (up to the burst of 20, less what the streams took), then 429.
        let urls = (0..<60).flatMap { _ in ["-o", "/dev/null", nginx.baseURL + "/api/info"] }
        let burst = try runProgram("/usr/bin/curl", ["-s", "-w", "%{http_code}\\n"] + urls)
        let codes = burst.stdout.split(separator: "\n").map(String.init)
        #expect(codes.count == 60)
        #expect(codes.prefix(10).allSatisfy { $0 == "200" }, "\(codes)")
        #expect(codes.contains("429"), "\(codes)")
        // The streams held through all this are live: the payment reaches each, and they end.
        try daemon.simulatePayment(job.jobId)
        for stream in streams { #expect(stream.waitForEnd(), "\(stream.text)") }
    }

    /// curl -N through nginx, reading the event stream in the background.
    final class StreamThroughNginx {
        let process = Process()
        let output: String

        init(nginx: NginxServer, job: CreateJobResult, name: String = "events") throws {
            output = nginx.folder + "/\(name).txt"
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = [
                "-c", "exec /usr/bin/curl -sS -N --max-time 30 -o \"$1\" -H \"Authorization: Bearer $2\" \"$3\"", "sh", output,
                job.accessToken, nginx.baseURL + "/api/bootstrap/\(job.jobId)/events",
            ]
            try process.run()
        }

        deinit { if process.isRunning { process.terminate() } }

        var text: String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }

        func waitFor(timeout: Double = 10, _ condition: (String) -> Bool) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while !condition(text) && Date() < deadline { usleep(20_000) }
            return condition(text)
        }

        func waitForEnd(timeout: Double = 20) -> Bool {
            let deadline = Date().addingTimeInterval(timeout)
            while process.isRunning && Date() < deadline { usleep(20_000) }
            return !process.isRunning
        }
    }
}
