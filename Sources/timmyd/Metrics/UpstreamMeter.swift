/// Counts one upstream API's HTTP attempts and retries. An `HTTPClient` carries one per
/// API (`metered(as:)`), and the cloud clients' retry policy reports its retries to it.
struct UpstreamMeter: Sendable {
    let api: UpstreamAPI
    let metrics: DaemonMetrics

    func attempted(status: Int) { metrics.upstreamAttempt(api, UpstreamOutcome(status: status)) }
    func attemptFailed() { metrics.upstreamAttempt(api, .transportError) }
    func retried() { metrics.upstreamRetry(api) }
}

extension HTTPClient {
    /// The same client, its attempts counted for `api`.
    func metered(as api: UpstreamAPI, in metrics: DaemonMetrics) -> HTTPClient {
        var client = self
        client.meter = UpstreamMeter(api: api, metrics: metrics)
        return client
    }
}

extension RetryPolicy {
    /// The same policy, its retries counted for `api`.
    func metered(as api: UpstreamAPI, in metrics: DaemonMetrics) -> RetryPolicy {
        var policy = self
        let meter = UpstreamMeter(api: api, metrics: metrics)
        policy.retried = { meter.retried() }
        return policy
    }
}
