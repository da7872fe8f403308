import CCurl

/// When a call to a cloud API is tried again, and after how long.
///
/// Retried: 429, 5xx, and transport failures (no connection, timeouts), with
/// exponential backoff and jitter; a server's `retry-after` (seconds) or, when
/// the quota is spent (`ratelimit-remaining: 0`), its `ratelimit-reset` (Unix
/// time) is honoured instead. Never retried: any other 4xx (the request itself
/// is wrong, and asking again will not change the answer).
///
/// - Important: a request that creates something is not idempotent. For those
///   only answers that prove nothing happened are retried here (429, and a
///   connection that was never made); a 5xx or a lost reply is handed back to the
///   caller, who must look the resource up by its derived name before creating again.
struct RetryPolicy: Sendable {
    /// Attempts in all, the first included.
    var maximumAttempts = 5
    var baseDelayMilliseconds: Int64 = 500
    var maximumDelayMilliseconds: Int64 = 30_000
    /// The longest a server's own retry-after / ratelimit-reset is obeyed; longer waits are cut to this.
    var maximumServerDelayMilliseconds: Int64 = 120_000
    var sleeper: RetrySleeper = RetrySleepers.real
    /// A number in 0..<1 for the jitter; fixed in tests.
    var random: @Sendable () -> Double = { Double.random(in: 0..<1) }
    /// Unix time in seconds, for `ratelimit-reset`.
    var now: @Sendable () -> Int64 = { Timestamp.now().milliseconds / 1000 }
    /// Told before each wait for another attempt (the metrics' retry count).
    var retried: @Sendable () -> Void = {}

    enum Decision: Equatable {
        case retry(afterMilliseconds: Int64)
        case stop
    }

    /// What to do after attempt number `attempt` (1-based) got `response`.
    func decide(after response: HTTPResponse, attempt: Int, idempotent: Bool) -> Decision {
        guard attempt < maximumAttempts else { return .stop }
        switch response.status {
        case 429: return .retry(afterMilliseconds: serverDelay(response.headers) ?? backoff(attempt: attempt))
        case 500...599 where idempotent:
            return .retry(afterMilliseconds: serverDelay(response.headers) ?? backoff(attempt: attempt))
        default: return .stop
        }
    }

    /// What to do after attempt number `attempt` got no HTTP answer at all.
    func decide(after error: HTTPTransportError, attempt: Int, idempotent: Bool) -> Decision {
        guard attempt < maximumAttempts else { return .stop }
        // A refused connection never reached the server: safe to repeat even a create.
        guard idempotent || error.neverReachedServer else { return .stop }
        return .retry(afterMilliseconds: backoff(attempt: attempt))
    }

    /// Exponential (base · 2^(attempt-1)), capped, with "equal jitter": half fixed, half random,
    /// so many jobs hitting a limit together spread out instead of retrying in step.
    func backoff(attempt: Int) -> Int64 {
        let exponent = min(attempt - 1, 20)
        let full = min(maximumDelayMilliseconds, baseDelayMilliseconds.saturatingMultiplied(by: Int64(1) << Int64(max(exponent, 0))))
        return full / 2 + Int64(Double(full / 2) * random())
    }

    /// The wait the server asked for: `retry-after` seconds, else the rate-limit reset
    /// time when the quota is spent. Nil when it asked for none.
    func serverDelay(_ headers: [String: String]) -> Int64? {
        if let text = headers["retry-after"], let seconds = Int64(text.trimmingWhitespace()), seconds >= 0 {
            // Saturating: a header of 2^63-1 seconds is "the longest", not a trap.
            return min(seconds.saturatingMultiplied(by: 1000), maximumServerDelayMilliseconds)
        }
        if headers["ratelimit-remaining"]?.trimmingWhitespace() == "0", let text = headers["ratelimit-reset"],
            let reset = Int64(text.trimmingWhitespace())
        {
            let wait = max(reset.saturatingAdding(-now()), 1)
            return min(wait.saturatingMultiplied(by: 1000), maximumServerDelayMilliseconds)
        }
        return nil
    }
}

extension HTTPTransportError {
    /// The connection was never made (refused, no route, DNS): the server saw nothing.
    var neverReachedServer: Bool {
        [CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY].map { Int($0.rawValue) }
            .contains(code)
    }
}

/// A transport plus a retry policy: what both cloud clients send through.
struct RetryingTransport: Sendable {
    let transport: HTTPTransport
    let policy: RetryPolicy

    /// The same transport trying each request once.
    var singleAttempt: RetryingTransport {
        var once = policy
        once.maximumAttempts = 1
        return RetryingTransport(transport: transport, policy: once)
    }

    /// The final answer after retries (any status), or the last transport error.
    func send(_ request: HTTPRequest, idempotent: Bool) async throws -> HTTPResponse {
        var attempt = 1
        while true {
            let decision: RetryPolicy.Decision
            do {
                let response = try await transport.send(request)
                decision = policy.decide(after: response, attempt: attempt, idempotent: idempotent)
                if decision == .stop { return response }
            } catch let error as HTTPTransportError {
                decision = policy.decide(after: error, attempt: attempt, idempotent: idempotent)
                if decision == .stop { throw error }
            }
            if case .retry(let milliseconds) = decision {
                policy.retried()
                try await policy.sleeper(milliseconds)
            }
            attempt += 1
        }
    }
}
