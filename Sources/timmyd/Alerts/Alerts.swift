import Logging

/// Wires the operator alerts into the daemon: the periodic checks always (events are
/// recorded and listed by `admin.events` with or without a webhook), the sender only
/// when `ALERT_WEBHOOK_URL` is set.
enum Alerts {
    static func workers(
        configuration: DaemonConfiguration, database: SQLiteDatabase, watcher: PaymentWatcher, cloudHealth: UpstreamHealth,
        http: HTTPClient, logger: Logger
    ) -> [(name: String, run: @Sendable () async -> Void)] {
        let settings = configuration.alerts
        let events = OperatorEventStore(database: database)
        var upstreams = [AlertMonitor.Upstream(name: "payments", summary: "the payments backend", health: { watcher.backendHealth })]
        if configuration.digitalOcean != nil {
            upstreams.append(AlertMonitor.Upstream(name: "cloud", summary: "the cloud API", health: { cloudHealth.current }))
        }
        let monitor = AlertMonitor(
            events: events, upstreams: upstreams, nodeSetup: configuration.nodeSetup, settings: settings, logger: logger)
        var workers: [(name: String, run: @Sendable () async -> Void)] = [("alert-monitor", { await monitor.run() })]
        if let url = settings.webhookURL {
            let sender = AlertSender(events: events, webhookURL: url, http: http, settings: settings, logger: logger)
            workers.append(("alert-sender", { await sender.run() }))
            logger.info("operator alerts are posted to the configured ALERT_WEBHOOK_URL")
        } else {
            logger.notice("no ALERT_WEBHOOK_URL: operator events are recorded only (timmyctl events)")
        }
        return workers
    }
}
