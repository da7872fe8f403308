import Foundation
import Protocol
import Testing

/// `METRICS_LISTEN`: a real Prometheus scrapes a daemon through a whole purchase on stubs.
@Suite(.serialized)
struct PrometheusScrapeTests {
    @Test func prometheusScrapesAPurchaseAndCountsItOnce() throws {
        try PrometheusServer.requireInstalled()
        let metricsPort = try LNbitsServer.freePort()
        let daemon = try DaemonHarness(environment: ["METRICS_LISTEN": "127.0.0.1:\(metricsPort)"]).start()
        let prometheus = try PrometheusServer(scraping: "127.0.0.1:\(metricsPort)", in: daemon.folder)
        #expect(try prometheus.waitFor(#"up{job="timmyd"}"#, toEqual: 1) == 1, "\(prometheus.log)")

        let job = try daemon.create()
        _ = try daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        _ = try daemon.waitFor(job, state: .ready)

        #expect(try prometheus.waitFor(#"timmyd_jobs{state="ready"}"#, toEqual: 1) == 1)
        #expect(try prometheus.waitFor(#"timmyd_jobs{state="awaiting_payment"}"#, toEqual: 0) == 0)
        #expect(try prometheus.waitFor("timmyd_payments_seen_total", toEqual: 1) == 1)
        #expect(try prometheus.waitFor("timmyd_payment_detection_seconds_count", toEqual: 1) == 1)
        #expect(try prometheus.waitFor("timmyd_provisioning_seconds_count", toEqual: 1) == 1)
        // The stub provisions in about STUB_PROVISION_DELAY_MS (300 ms): under the 5 s bucket.
        #expect(try prometheus.waitFor(#"timmyd_provisioning_seconds_bucket{le="5.0"}"#, toEqual: 1) == 1)
        #expect(try prometheus.value(of: "sum(timmyd_provisioning_failures_total)") == 0)
        #expect(try prometheus.value(of: #"timmyd_build_info{version="\#(TimmyVersion.string)"}"#) == 1)
        // Stubs call no upstream.
        #expect(try prometheus.value(of: "sum(timmyd_upstream_requests_total)") == 0)
        // Every series keeps to its closed label sets: nothing names a job.
        let series = try runProgram(
            "/usr/bin/curl", ["-sf", prometheus.baseURL + "/api/v1/series", "--data-urlencode", #"match[]={job="timmyd"}"#])
        #expect(series.status == 0)
        #expect(!series.stdout.contains(job.jobId))
        #expect(!series.stdout.contains(job.jobId.prefix(8)))

        // What Prometheus scraped is valid exposition text by its own linter.
        let scrape = try runProgram("/usr/bin/curl", ["-sf", "http://127.0.0.1:\(metricsPort)/metrics"])
        #expect(scrape.status == 0)
        let lint = try runProgram(PrometheusServer.promtool, ["check", "metrics"], stdin: scrape.stdout)
        #expect(lint.status == 0, "promtool check metrics: \(lint.stdout)\(lint.stderr)")
    }

    @Test func metricsEndpointServesOnlyMetrics() throws {
        let metricsPort = try LNbitsServer.freePort()
        let daemon = try DaemonHarness(environment: ["METRICS_LISTEN": "127.0.0.1:\(metricsPort)"]).start()
        let base = "http://127.0.0.1:\(metricsPort)"
        func status(_ arguments: [String]) throws -> String {
            try runProgram("/usr/bin/curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}"] + arguments).stdout
        }
        #expect(try status([base + "/metrics"]) == "200")
        #expect(try status([base + "/metrics?x=1"]) == "200")
        #expect(try status([base + "/"]) == "404")
        #expect(try status([base + "/api/jobs"]) == "404")
        #expect(try status(["-X", "POST", base + "/metrics"]) == "405")
        let headers = try runProgram("/usr/bin/curl", ["-s", "-D", "-", "-o", "/dev/null", base + "/metrics"]).stdout
        #expect(headers.lowercased().contains("content-type: text/plain; version=0.0.4"))
        _ = daemon
    }

    @Test func nonsenseMetricsListenStopsTheStartNamingTheSetting() throws {
        for bad in ["9477", "0.0.0.0:9477", "[::]:9477", "example.com:9477", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:"] {
            let daemon = try DaemonHarness()
            let result = try runProgram(
                Binaries.timmyd, ["--socket", daemon.socketPath, "--state-dir", daemon.stateDirectory],
                environment: ["METRICS_LISTEN": bad])
            #expect(result.status == 78, "\(bad)")
            #expect(result.stderr.contains("METRICS_LISTEN"), "\(bad): \(result.stderr)")
            #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
        }
    }

    @Test func aTakenMetricsPortStopsTheStart() throws {
        let metricsPort = try LNbitsServer.freePort()
        let first = try DaemonHarness(environment: ["METRICS_LISTEN": "127.0.0.1:\(metricsPort)"]).start()
        let second = try DaemonHarness()
        let result = try runProgram(
            Binaries.timmyd, ["--socket", second.socketPath, "--state-dir", second.stateDirectory],
            environment: ["METRICS_LISTEN": "127.0.0.1:\(metricsPort)"])
        #expect(result.status == 78)
        #expect(result.stderr.contains("METRICS_LISTEN"), "\(result.stderr)")
        _ = first
    }
}
