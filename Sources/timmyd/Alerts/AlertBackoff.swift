/// What follows a delivery attempt.
enum AlertDeliveryDecision: Sendable, Equatable {
    case delivered
    case retry(at: Timestamp)
    /// The event has been retried for the whole give-up period: marked abandoned.
    case abandon
}

/// When a failed webhook delivery is tried again: `baseDelay` after the first failure,
/// doubling per failure up to `maximumDelay`; after `giveUpAfter` (counted from the
/// event itself, so a restart does not reset it) no more attempts.
struct AlertBackoff: Sendable, Equatable {
    var baseDelayMilliseconds: Int64 = 5_000
    var maximumDelayMilliseconds: Int64 = 15 * 60 * 1000
    var giveUpAfterMilliseconds: Int64 = 24 * 60 * 60 * 1000

    /// The wait after the `failures`-th failed attempt in a row (1 for the first).
    func delayMilliseconds(afterFailures failures: Int64) -> Int64 {
        // As RetryPolicy.backoff, without the jitter: base · 2^(failures-1), capped.
        let doublings = min(max(failures - 1, 0), 62)
        return min(maximumDelayMilliseconds, baseDelayMilliseconds.saturatingMultiplied(by: Int64(1) << doublings))
    }

    /// What to do after an attempt at `now` for an event made at `eventAt`, which has now failed `failures` times.
    func decision(succeeded: Bool, failures: Int64, eventAt: Timestamp, now: Timestamp) -> AlertDeliveryDecision {
        if succeeded { return .delivered }
        let deadline = eventAt.adding(milliseconds: giveUpAfterMilliseconds)
        let next = now.adding(milliseconds: delayMilliseconds(afterFailures: failures))
        // One last attempt at the deadline itself; a failure then is final.
        return now < deadline ? .retry(at: min(next, deadline)) : .abandon
    }
}
