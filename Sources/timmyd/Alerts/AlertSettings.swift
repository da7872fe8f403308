/// Operator alerts: where events are posted and when a condition becomes an event.
struct AlertSettings: Sendable {
    /// `ALERT_WEBHOOK_URL`: events are POSTed here as JSON; nil: events are only recorded
    /// (and listed by `timmyctl events`).
    var webhookURL: String?
    /// `ALERT_UPSTREAM_DOWN_MINUTES` (default 10): an upstream failing every call this long is an event.
    var upstreamDownSeconds: Int64 = 600
    var backoff = AlertBackoff()
    /// How often the periodic checks (stalled setups, upstream outages) run, and how
    /// soon an idle sender looks for new events.
    var checkIntervalMilliseconds: Int64 = 1000
    /// Each webhook POST, connect included.
    var timeoutMilliseconds: Int = 10_000
}
