/// Reads what the gauges mirror (jobs by state, stalled and failed node setups, open
/// watches) from the store and its change notifier, just before each scrape is answered.
struct MetricsSnapshot: Sendable {
    let store: JobStore
    let stallSeconds: Int64

    func refresh(_ metrics: DaemonMetrics) throws {
        let cutoff = Timestamp.now().adding(seconds: -stallSeconds)
        metrics.recordSnapshot(
            jobsByState: try store.countsByState(), watchers: store.changes.totalSubscriberCount,
            setupStalled: try store.stalledSetupCount(silentSince: cutoff), setupFailed: try store.failedSetupCount())
    }
}
