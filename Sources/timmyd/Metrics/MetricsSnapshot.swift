/// Reads what the gauges mirror (jobs by state, stalled and failed node setups, open
/// watches) from the store and its change notifier, just before each scrape is answered.
struct MetricsSnapshot: Sendable {
    let store: JobStore
    let nodeSetup: NodeSetupSettings

    func refresh(_ metrics: DaemonMetrics) throws {
        metrics.recordSnapshot(
            jobsByState: try store.countsByState(), watchers: store.changes.totalSubscriberCount,
            setupStalled: try store.stalledSetupCount(silentSince: nodeSetup.stallCutoff()), setupFailed: try store.failedSetupCount())
    }
}
