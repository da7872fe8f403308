import Testing
@testable import timmyd

@Suite struct RetryPolicyTests {
    let policy = RetryPolicy(
        maximumAttempts: 4, baseDelayMilliseconds: 100, maximumDelayMilliseconds: 1000, maximumServerDelayMilliseconds: 60_000,
        random: { 0.5 }, now: { 1_000 })

    func response(_ status: Int, _ headers: [String: String] = [:]) -> HTTPResponse {
        HTTPResponse(status: status, headers: headers, body: [])
    }

    @Test func serverErrorsAndRateLimitsAreRetriedWithGrowingBackoff() {
        #expect(policy.decide(after: response(500), attempt: 1, idempotent: true) == .retry(afterMilliseconds: 75))
        #expect(policy.decide(after: response(503), attempt: 2, idempotent: true) == .retry(afterMilliseconds: 150))
        #expect(policy.decide(after: response(429), attempt: 3, idempotent: true) == .retry(afterMilliseconds: 300))
    }

    @Test func backoffIsCappedAndJittered() {
        #expect(policy.backoff(attempt: 30) == 750)
        let low = RetryPolicy(baseDelayMilliseconds: 1000, random: { 0 })
        let high = RetryPolicy(baseDelayMilliseconds: 1000, random: { 0.999 })
        #expect(low.backoff(attempt: 1) == 500)
        #expect(high.backoff(attempt: 1) == 999)
    }

    @Test func otherClientErrorsAreNeverRetried() {
        for status in [400, 401, 403, 404, 409, 422] {
            #expect(policy.decide(after: response(status), attempt: 1, idempotent: true) == .stop, "\(status)")
        }
        #expect(policy.decide(after: response(200), attempt: 1, idempotent: true) == .stop)
    }

    @Test func attemptsAreBounded() {
        #expect(policy.decide(after: response(500), attempt: 4, idempotent: true) == .stop)
        #expect(policy.decide(after: HTTPTransportError(code: 28, message: "t"), attempt: 4, idempotent: true) == .stop)
    }

    @Test func retryAfterIsHonoured() {
        #expect(policy.decide(after: response(429, ["retry-after": "7"]), attempt: 1, idempotent: false) == .retry(afterMilliseconds: 7000))
        // A server asking for longer than the cap gets the cap.
        #expect(policy.serverDelay(["retry-after": "3600"]) == 60_000)
    }

    @Test func rateLimitResetIsHonouredOnlyWhenTheQuotaIsSpent() {
        #expect(policy.serverDelay(["ratelimit-remaining": "0", "ratelimit-reset": "1012"]) == 12_000)
        #expect(policy.serverDelay(["ratelimit-remaining": "17", "ratelimit-reset": "1012"]) == nil)
        // A reset already past still waits a moment rather than hammering.
        #expect(policy.serverDelay(["ratelimit-remaining": "0", "ratelimit-reset": "900"]) == 1000)
    }

    @Test func createsAreRetriedOnlyWhenNothingCanHaveHappened() {
        #expect(policy.decide(after: response(429), attempt: 1, idempotent: false) == .retry(afterMilliseconds: 75))
        #expect(policy.decide(after: response(500), attempt: 1, idempotent: false) == .stop)
        #expect(policy.decide(after: HTTPTransportError(code: 28, message: "timeout"), attempt: 1, idempotent: false) == .stop)
        #expect(policy.decide(after: HTTPTransportError(code: 52, message: "empty reply"), attempt: 1, idempotent: false) == .stop)
        #expect(policy.decide(after: HTTPTransportError(code: 7, message: "refused"), attempt: 1, idempotent: false) == .retry(afterMilliseconds: 75))
    }

    @Test func transportErrorsAreRetriedForIdempotentCalls() {
        #expect(policy.decide(after: HTTPTransportError(code: 28, message: "timeout"), attempt: 1, idempotent: true) == .retry(afterMilliseconds: 75))
    }

    @Test func retryingTransportSleepsThroughTheScriptWithoutRealWaits() async throws {
        let transport = ScriptedTransport([.json(429, "{}", headers: ["retry-after": "2"]), .json(502, "{}"), .timedOut, .json(200, "{}")])
        let log = SleepLog()
        let sender = RetryingTransport(transport: transport, policy: CloudFixtures.policy(log))
        let response = try await sender.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:9/x"), idempotent: true)
        #expect(response.status == 200)
        #expect(await log.waits == [2000, 150, 300])
    }
}
