import Protocol
import Testing
@testable import timmyd

@Suite struct DaemonMetricsTests {
    /// Every label a series may carry, with the only values it may take.
    static let allowedLabels: [String: Set<String>] = [
        "state": Set(JobState.allCases.map(\.rawValue)),
        "phase": Set(DaemonMetrics.failablePhases.map(\.rawValue)),
        "api": Set(UpstreamAPI.allCases.map(\.rawValue)),
        "status_class": Set(UpstreamOutcome.allCases.map(\.rawValue)),
        "outcome": Set(RefundOutcome.allCases.map(\.rawValue)),
        "protocol": Set(ConnectionProtocol.allCases.map(\.rawValue)),
        "version": [DaemonMetrics.labelSafeVersion(TimmyVersion.string)],
        "le": [],  // histogram buckets: numbers, checked apart
    ]

    /// The `name="value"` pairs of each sample line of an exposition.
    static func labels(in exposition: String) -> [(line: String, name: String, value: String)] {
        var found: [(String, String, String)] = []
        for line in exposition.split(separator: "\n") where !line.hasPrefix("#") {
            guard let open = line.firstIndex(of: "{"), let close = line.lastIndex(of: "}") else { continue }
            for pair in line[line.index(after: open)..<close].split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                found.append((String(line), String(parts[0]), String(parts[1].dropFirst().dropLast())))
            }
        }
        return found
    }

    static func sample(_ series: String, in metrics: DaemonMetrics) -> String? {
        String(decoding: metrics.exposition(), as: UTF8.self).split(separator: "\n")
            .first { $0.hasPrefix(series + " ") }.map { String($0.dropFirst(series.count + 1)) }
    }

    @Test func noLabelValueFallsOutsideItsClosedSet() {
        let metrics = DaemonMetrics()
        // Every kind of event, including statuses no server should send.
        metrics.paymentSeen(invoiceCreatedAt: Timestamp(milliseconds: 0))
        metrics.provisioningSucceeded(startedAt: .now())
        for phase in DaemonMetrics.failablePhases { metrics.provisioningFailed(at: phase) }
        for api in UpstreamAPI.allCases {
            for status in [0, 101, 204, 302, 429, 503, 999, -1] { metrics.upstreamAttempt(api, UpstreamOutcome(status: status)) }
            metrics.upstreamRetry(api)
        }
        for outcome in RefundOutcome.allCases { metrics.refund(outcome) }
        for kind in ConnectionProtocol.allCases { metrics.connectionOpened(kind) }
        metrics.recordSnapshot(jobsByState: [.ready: 2, .failed: 1], watchers: 3, setupStalled: 1, setupFailed: 0)

        let text = String(decoding: metrics.exposition(), as: UTF8.self)
        let found = Self.labels(in: text)
        #expect(!found.isEmpty)
        for (line, name, value) in found {
            let allowed = Self.allowedLabels[name]
            #expect(allowed != nil, "unexpected label \(name) in \(line)")
            if name == "le" {
                #expect(value == "+Inf" || Double(value) != nil, "\(line)")
            } else {
                #expect(allowed?.contains(value) == true, "label \(name)=\(value) is outside its set: \(line)")
            }
        }
    }

    @Test func everyLabelledSeriesExistsBeforeItsFirstEvent() {
        let metrics = DaemonMetrics()
        #expect(Self.sample(#"timmyd_jobs{state="refunded"}"#, in: metrics) == "0.0")
        #expect(Self.sample(#"timmyd_refunds_total{outcome="failed"}"#, in: metrics) == "0")
        #expect(Self.sample(#"timmyd_upstream_retries_total{api="tailscale"}"#, in: metrics) == "0")
        #expect(Self.sample(#"timmyd_provisioning_failures_total{phase="droplet_active"}"#, in: metrics) == "0")
        #expect(Self.sample(#"timmyd_connections_open{protocol="http"}"#, in: metrics) == "0.0")
        #expect(Self.sample(#"timmyd_build_info{version="\#(TimmyVersion.string)"}"#, in: metrics) == "1.0")
    }

    @Test func eventsMoveTheirOwnSeries() {
        let metrics = DaemonMetrics()
        metrics.paymentSeen(invoiceCreatedAt: Timestamp(milliseconds: 1000), now: Timestamp(milliseconds: 4000))
        metrics.provisioningFailed(at: .dropletCreated)
        metrics.refund(.started)
        metrics.refund(.succeeded)
        metrics.connectionOpened(.jsonrpc)
        metrics.connectionOpened(.jsonrpc)
        metrics.connectionClosed(.jsonrpc)
        metrics.recordSnapshot(jobsByState: [.ready: 2], watchers: 3, setupStalled: 1, setupFailed: 0)
        #expect(Self.sample("timmyd_payments_seen_total", in: metrics) == "1")
        #expect(Self.sample(#"timmyd_payment_detection_seconds_bucket{le="2.0"}"#, in: metrics) == "0")
        #expect(Self.sample(#"timmyd_payment_detection_seconds_bucket{le="5.0"}"#, in: metrics) == "1")
        #expect(Self.sample("timmyd_payment_detection_seconds_sum", in: metrics) == "3.0")
        #expect(Self.sample(#"timmyd_provisioning_failures_total{phase="droplet_created"}"#, in: metrics) == "1")
        #expect(Self.sample(#"timmyd_provisioning_failures_total{phase="volume_created"}"#, in: metrics) == "0")
        #expect(Self.sample(#"timmyd_refunds_total{outcome="started"}"#, in: metrics) == "1")
        #expect(Self.sample(#"timmyd_refunds_total{outcome="succeeded"}"#, in: metrics) == "1")
        #expect(Self.sample(#"timmyd_connections_open{protocol="jsonrpc"}"#, in: metrics) == "1.0")
        #expect(Self.sample(#"timmyd_jobs{state="ready"}"#, in: metrics) == "2.0")
        #expect(Self.sample(#"timmyd_jobs{state="failed"}"#, in: metrics) == "0.0")
        #expect(Self.sample("timmyd_watchers_open", in: metrics) == "3.0")
        #expect(Self.sample("timmyd_node_setup_stalled", in: metrics) == "1.0")
    }

    @Test func statusesFallIntoTheirClass() {
        #expect(UpstreamOutcome(status: 200) == .success)
        #expect(UpstreamOutcome(status: 301) == .redirect)
        #expect(UpstreamOutcome(status: 429) == .clientError)
        #expect(UpstreamOutcome(status: 599) == .serverError)
        #expect(UpstreamOutcome(status: 100) == .informational)
        #expect(UpstreamOutcome(status: 0) == .transportError)
        #expect(UpstreamOutcome(status: 600) == .transportError)
    }

    @Test func aVersionBecomesASafeLabelValue() {
        #expect(DaemonMetrics.labelSafeVersion("0.1.0+git.abc-1") == "0.1.0+git.abc-1")
        #expect(DaemonMetrics.labelSafeVersion("1\"} evil\n") == "1___evil_")
        #expect(DaemonMetrics.labelSafeVersion(String(repeating: "9", count: 200)).count == 64)
    }

    @Test func cloudRetriesAreCountedForTheirAPI() async throws {
        let metrics = DaemonMetrics()
        let log = SleepLog()
        let transport = ScriptedTransport([.json(503, "{}"), .timedOut, .json(200, "{}")])
        let retrying = RetryingTransport(
            transport: transport, policy: CloudFixtures.policy(log).metered(as: .digitalocean, in: metrics))
        let response = try await retrying.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:9/v2/account"), idempotent: true)
        #expect(response.status == 200)
        #expect(Self.sample(#"timmyd_upstream_retries_total{api="digitalocean"}"#, in: metrics) == "2")
        #expect(Self.sample(#"timmyd_upstream_retries_total{api="tailscale"}"#, in: metrics) == "0")
    }
}
