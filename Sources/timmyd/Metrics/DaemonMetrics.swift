import Prometheus
import Protocol

/// timmyd's instruments, in one Prometheus registry owned by the daemon (passed in,
/// never a process-wide bootstrap, so each test's daemon or unit test has its own).
///
/// Every labelled series is made up front for every value of its closed set
/// (`MetricLabels.swift`), so a scrape shows zeros rather than missing series and a
/// PromQL query finds them before the first event.
final class DaemonMetrics: Sendable {
    let registry: PrometheusCollectorRegistry

    private let paymentsSeen: Counter
    private let paymentDetection: DurationHistogram
    private let provisioningTime: DurationHistogram
    private let provisioningFailures: [ProvisionPhase: Counter]
    private let upstreamRequests: [UpstreamAPI: [UpstreamOutcome: Counter]]
    private let upstreamRetries: [UpstreamAPI: Counter]
    private let refunds: [RefundOutcome: Counter]
    private let connectionsOpen: [ConnectionProtocol: Gauge]
    private let jobsByState: [JobState: Gauge]
    private let watchersOpen: Gauge
    private let setupStalled: Gauge
    private let setupFailed: Gauge

    /// The provisioning phases that can fail (`queued` is where a job starts, not a step).
    static let failablePhases = Array(ProvisionPhase.allCases.dropFirst())

    /// From seconds (an invoice paid at once, a stub node) to a day (an invoice paid late).
    static let paymentDetectionBuckets: [Duration] = [1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 86_400]
        .map { .seconds($0) }
    /// A real node takes minutes; a stub one seconds.
    static let provisioningBuckets: [Duration] = [1, 5, 10, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600]
        .map { .seconds($0) }

    init(version: String = TimmyVersion.string) {
        let registry = PrometheusCollectorRegistry()
        self.registry = registry
        func name(_ metricName: String, unit: String = "", _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "timmyd", metricName: metricName, unitName: unit, helpText: help)
        }

        registry.makeGauge(
            descriptor: name("build", unit: "info", "The running timmyd's version (always 1)."),
            labels: [("version", Self.labelSafeVersion(version))]
        ).set(Int64(1))
        paymentsSeen = registry.makeCounter(
            descriptor: name("payments_seen", unit: "total", "Invoice payments seen by timmyd (on time or late)."))
        paymentDetection = registry.makeDurationHistogram(
            descriptor: name(
                "payment_detection", unit: "seconds", "From an invoice's creation to timmyd seeing it paid."),
            buckets: Self.paymentDetectionBuckets)
        provisioningTime = registry.makeDurationHistogram(
            descriptor: name(
                "provisioning", unit: "seconds",
                "From the start of provisioning (the payment, or an operator's retry) to a ready node."),
            buckets: Self.provisioningBuckets)
        provisioningFailures = Dictionary(
            uniqueKeysWithValues: Self.failablePhases.map { phase in
                (
                    phase,
                    registry.makeCounter(
                        descriptor: name(
                            "provisioning_failures", unit: "total", "Provisioning runs that failed, by the phase that failed."),
                        labels: [("phase", phase.rawValue)])
                )
            })
        upstreamRequests = Dictionary(
            uniqueKeysWithValues: UpstreamAPI.allCases.map { api in
                (
                    api,
                    Dictionary(
                        uniqueKeysWithValues: UpstreamOutcome.allCases.map { outcome in
                            (
                                outcome,
                                registry.makeCounter(
                                    descriptor: name(
                                        "upstream_requests", unit: "total",
                                        "HTTP attempts to upstream APIs, by API and HTTP status class (retries included)."),
                                    labels: [("api", api.rawValue), ("status_class", outcome.rawValue)])
                            )
                        })
                )
            })
        upstreamRetries = Dictionary(
            uniqueKeysWithValues: UpstreamAPI.allCases.map { api in
                (
                    api,
                    registry.makeCounter(
                        descriptor: name("upstream_retries", unit: "total", "Upstream calls tried again after a failed attempt."),
                        labels: [("api", api.rawValue)])
                )
            })
        refunds = Dictionary(
            uniqueKeysWithValues: RefundOutcome.allCases.map { outcome in
                (
                    outcome,
                    registry.makeCounter(
                        descriptor: name("refunds", unit: "total", "Refunds started, paid, and failed (a failed one may be tried again)."),
                        labels: [("outcome", outcome.rawValue)])
                )
            })
        connectionsOpen = Dictionary(
            uniqueKeysWithValues: ConnectionProtocol.allCases.map { kind in
                (
                    kind,
                    registry.makeGauge(
                        descriptor: name("connections_open", "Open connections on the socket, by protocol."),
                        labels: [("protocol", kind.rawValue)])
                )
            })
        jobsByState = Dictionary(
            uniqueKeysWithValues: JobState.allCases.map { state in
                (
                    state,
                    registry.makeGauge(
                        descriptor: name("jobs", "Jobs in the database, by state (read at scrape time)."),
                        labels: [("state", state.rawValue)])
                )
            })
        watchersOpen = registry.makeGauge(
            descriptor: name("watchers_open", "Open job watches (bootstrap.watch and HTTP event streams)."))
        setupStalled = registry.makeGauge(
            descriptor: name(
                "node_setup_stalled", "Ready nodes whose setup went silent for longer than NODE_SETUP_STALL_MINUTES."))
        setupFailed = registry.makeGauge(
            descriptor: name("node_setup_failed", "Ready nodes whose last setup report was a failed step."))
    }

    /// A version goes into a label: anything but the characters a version uses becomes `_`.
    static func labelSafeVersion(_ version: String) -> String {
        String(version.prefix(64).map { $0.isASCII && ($0.isLetter || $0.isNumber || "._+-".contains($0)) ? $0 : "_" })
    }

    // MARK: Events

    /// A job's invoice was seen paid (the guarded move won once per payment).
    func paymentSeen(invoiceCreatedAt: Timestamp, now: Timestamp = .now()) {
        paymentsSeen.increment()
        paymentDetection.record(.milliseconds(max(0, now.milliseconds - invoiceCreatedAt.milliseconds)))
    }

    func provisioningSucceeded(startedAt: Timestamp, now: Timestamp = .now()) {
        provisioningTime.record(.milliseconds(max(0, now.milliseconds - startedAt.milliseconds)))
    }

    func provisioningFailed(at phase: ProvisionPhase) {
        provisioningFailures[phase]?.increment()
    }

    func upstreamAttempt(_ api: UpstreamAPI, _ outcome: UpstreamOutcome) {
        upstreamRequests[api]?[outcome]?.increment()
    }

    func upstreamRetry(_ api: UpstreamAPI) {
        upstreamRetries[api]?.increment()
    }

    func refund(_ outcome: RefundOutcome) {
        refunds[outcome]?.increment()
    }

    func connectionOpened(_ kind: ConnectionProtocol) { connectionsOpen[kind]?.increment() }
    func connectionClosed(_ kind: ConnectionProtocol) { connectionsOpen[kind]?.decrement() }

    // MARK: Read at scrape time

    /// Sets the gauges that mirror the database and the open watches.
    func recordSnapshot(jobsByState counts: [JobState: Int64], watchers: Int, setupStalled stalled: Int64, setupFailed failed: Int64) {
        for (state, gauge) in jobsByState { gauge.set(counts[state] ?? 0) }
        watchersOpen.set(Int64(watchers))
        setupStalled.set(stalled)
        setupFailed.set(failed)
    }

    /// The text exposition format (version 0.0.4) of every instrument.
    func exposition() -> [UInt8] { registry.emitToBuffer() }
}
