import Foundation
import Protocol
import Testing

/// What timmyd counts, read from its `/metrics` (no Prometheus needed): failures by phase,
/// refunds, upstream calls by API and status class, open connections and watches.
@Suite(.serialized)
struct MetricsInstrumentationTests {
    /// A daemon with `METRICS_LISTEN` on a free loopback port, and that port.
    static func daemon(_ environment: [String: String] = [:]) throws -> (DaemonHarness, Int) {
        let port = try LNbitsServer.freePort()
        let daemon = try DaemonHarness(
            environment: environment.merging(["METRICS_LISTEN": "127.0.0.1:\(port)"]) { _, new in new })
        return (daemon, port)
    }

    /// One scrape: the text, and each sample's value by its series (`name{labels}`).
    static func scrape(_ port: Int) throws -> (text: String, samples: [String: Double]) {
        let result = try runProgram("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(port)/metrics"])
        guard result.status == 0 else { throw HarnessError("scrape failed: \(result.stderr)") }
        var samples: [String: Double] = [:]
        for line in result.stdout.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            samples[String(line[..<space])] = value
        }
        return (result.stdout, samples)
    }

    /// Scrapes until `series` has `expected`, for values that change a moment after a reply.
    static func waitFor(_ series: String, _ expected: Double, port: Int, timeout: Double = 10) throws -> Double? {
        let deadline = Date().addingTimeInterval(timeout)
        var last: Double?
        while Date() < deadline {
            last = try scrape(port).samples[series]
            if last == expected { return last }
            usleep(50_000)
        }
        return last
    }

    @Test func aFailedPhaseAndItsRefundAreCounted() throws {
        let (daemon, port) = try Self.daemon(["STUB_PROVISION_FAIL_AT": "volume_created", "STUB_PROVISION_DELAY_MS": "50"])
        try daemon.start()
        let job = try RefundTests.paidFailedJob(daemon)
        let before = try Self.scrape(port).samples
        #expect(before[#"timmyd_provisioning_failures_total{phase="volume_created"}"#] == 1)
        #expect(before[#"timmyd_provisioning_failures_total{phase="droplet_created"}"#] == 0)
        #expect(before[#"timmyd_jobs{state="failed"}"#] == 1)
        #expect(before["timmyd_provisioning_seconds_count"] == 0)

        _ = try daemon.call("bootstrap.refund", RefundTests.refundParams(job, "lnstubrefund1000sat1metrics"))
        let after = try Self.scrape(port)
        #expect(after.samples[#"timmyd_refunds_total{outcome="started"}"#] == 1)
        #expect(after.samples[#"timmyd_refunds_total{outcome="succeeded"}"#] == 1)
        #expect(after.samples[#"timmyd_refunds_total{outcome="failed"}"#] == 0)
        #expect(after.samples[#"timmyd_jobs{state="refunded"}"#] == 1)
        for secret in [job.jobId, job.accessToken, job.invoice.paymentRequest, "lnstubrefund1000sat1metrics"] {
            #expect(!after.text.contains(secret))
        }
    }

    @Test func cloudCallsAreCountedByAPIStatusClassAndRetry() throws {
        let fake = try FakeCloud.startOrSkip()
        // A rate limit on the first key upload: answered 429 once, then retried.
        try fake.faults([["method": "POST", "path": "^/v2/account/keys$", "status": 429, "count": 1]])
        let (daemon, port) = try Self.daemon(fake.daemonEnvironment)
        try daemon.start()
        let job = try CloudProvisioningTests.paidJob(daemon)
        _ = try daemon.waitFor(job, state: .ready)
        let (text, samples) = try Self.scrape(port)
        #expect(samples[#"timmyd_upstream_retries_total{api="digitalocean"}"#] == 1)
        // The 429, and the lookups answered 404 before each create.
        #expect((samples[#"timmyd_upstream_requests_total{api="digitalocean",status_class="4xx"}"#] ?? 0) >= 1)
        #expect((samples[#"timmyd_upstream_requests_total{api="digitalocean",status_class="2xx"}"#] ?? 0) >= 5)
        #expect((samples[#"timmyd_upstream_requests_total{api="tailscale",status_class="2xx"}"#] ?? 0) >= 1)
        #expect(samples[#"timmyd_upstream_requests_total{api="lnbits",status_class="2xx"}"#] == 0)
        #expect(samples["timmyd_provisioning_seconds_count"] == 1)
        for secret in [FakeCloud.doToken, FakeCloud.tailscaleKey, job.jobId, String(job.jobId.prefix(8)), fake.url] {
            #expect(!text.contains(secret))
        }
    }

    @Test func openConnectionsAndWatchesAreCountedUntilTheyClose() throws {
        let (daemon, port) = try Self.daemon()
        try daemon.start()
        let job = try daemon.create()
        #expect(try Self.waitFor("timmyd_watchers_open", 0, port: port) == 0)
        // A buyer following an unpaid job: one JSON-RPC connection holding one watch.
        let watcher = Process()
        watcher.executableURL = URL(fileURLWithPath: Binaries.timmyctl)
        watcher.arguments = ["watch", job.jobId, "--token", job.accessToken]
        watcher.environment = ["PATH": "/usr/bin:/bin", "TIMMY_SOCKET": daemon.socketPath, "TIMMY_TOKEN_FILE": daemon.folder + "/tokens"]
        watcher.standardOutput = FileHandle.nullDevice
        watcher.standardError = FileHandle.nullDevice
        try watcher.run()
        // SIGKILL: a child of the test runner starts with SIGTERM blocked, so terminate() would not end it.
        defer { if watcher.isRunning { kill(watcher.processIdentifier, SIGKILL) } }
        #expect(try Self.waitFor("timmyd_watchers_open", 1, port: port) == 1)
        #expect(try Self.waitFor(#"timmyd_connections_open{protocol="jsonrpc"}"#, 1, port: port) == 1)
        #expect(try Self.scrape(port).samples[#"timmyd_connections_open{protocol="http"}"#] == 0)

        kill(watcher.processIdentifier, SIGKILL)
        watcher.waitUntilExit()
        #expect(try Self.waitFor("timmyd_watchers_open", 0, port: port) == 0)
        #expect(try Self.waitFor(#"timmyd_connections_open{protocol="jsonrpc"}"#, 0, port: port) == 0)
    }
}
