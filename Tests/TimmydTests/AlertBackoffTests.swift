import Testing
@testable import timmyd

@Suite struct AlertBackoffTests {
    let backoff = AlertBackoff()

    @Test func delayStartsAtFiveSecondsAndDoublesUpToFifteenMinutes() {
        let delays = (1...12).map { backoff.delayMilliseconds(afterFailures: $0) }
        #expect(Array(delays.prefix(8)) == [5_000, 10_000, 20_000, 40_000, 80_000, 160_000, 320_000, 640_000])
        #expect(delays[8...].allSatisfy { $0 == 900_000 })
        // Absurd counts neither overflow nor go negative.
        #expect(backoff.delayMilliseconds(afterFailures: .max) == 900_000)
        #expect(backoff.delayMilliseconds(afterFailures: 0) == 5_000)
    }

    @Test func successIsDeliveredAndFailureRetriesAfterTheDelay() {
        let at = Timestamp(milliseconds: 1_000_000)
        #expect(backoff.decision(succeeded: true, failures: 3, eventAt: at, now: at) == .delivered)
        #expect(
            backoff.decision(succeeded: false, failures: 3, eventAt: at, now: at.adding(seconds: 60))
                == .retry(at: at.adding(seconds: 80)))
    }

    @Test func givesUpOnlyAfterTwentyFourHoursFromTheEventWithOneLastAttemptAtTheDeadline() {
        let at = Timestamp(milliseconds: 1_000_000)
        let deadline = at.adding(seconds: 24 * 3600)
        // Close to the deadline: the next attempt is at the deadline, not after it.
        #expect(
            backoff.decision(succeeded: false, failures: 200, eventAt: at, now: deadline.adding(seconds: -60))
                == .retry(at: deadline))
        #expect(backoff.decision(succeeded: false, failures: 201, eventAt: at, now: deadline) == .abandon)
        #expect(backoff.decision(succeeded: true, failures: 201, eventAt: at, now: deadline) == .delivered)
    }
}

@Suite struct AlertWebhookURLTests {
    @Test(arguments: [
        "https://hooks.example.com/timmy", "https://hooks.example.com:8443/a/b?token=x", "http://127.0.0.1:9999/hook",
        "http://localhost/hook", "http://[::1]:80/x",
    ])
    func acceptsHTTPSAndLoopbackHTTPAsGiven(_ url: String) throws {
        #expect(try ConfigurationLoader.alertWebhookURL(url) == url)
    }

    @Test(arguments: [
        "http://hooks.example.com/timmy", "ftp://example.com/x", "https://user:pass@hooks.example.com/x",
        "https://token@hooks.example.com/x", "http://localhost@evil.example.com/x", "http://127.0.0.1.evil.com/x",
        "https:///nohost", "https://:443/x", "https://hooks.example.com/a b", "https://hooks.example.com/\n",
        "hooks.example.com/x",
    ])
    func refusesPlainHTTPElsewhereUserInfoAndOddCharacters(_ url: String) {
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.alertWebhookURL(url) }
    }

    @Test func loaderReadsTheAlertSettingsAndNamesTheBadOne() throws {
        let loaded = try ConfigurationLoader(
            environment: ["ALERT_WEBHOOK_URL": "https://hooks.example.com/x", "ALERT_UPSTREAM_DOWN_MINUTES": "3"],
            envFile: nil
        ).load(socketPath: "/nonexistent/s", stateDirectory: "/nonexistent/d", requireReal: false)
        #expect(loaded.alerts.webhookURL == "https://hooks.example.com/x")
        #expect(loaded.alerts.upstreamDownSeconds == 180)
        #expect(loaded.alerts.backoff.baseDelayMilliseconds == 5_000)
        let defaults = try ConfigurationLoader(environment: [:], envFile: nil)
            .load(socketPath: "/nonexistent/s", stateDirectory: "/nonexistent/d", requireReal: false)
        #expect(defaults.alerts.webhookURL == nil)
        #expect(defaults.alerts.upstreamDownSeconds == 600)
        do {
            _ = try ConfigurationLoader(environment: ["ALERT_WEBHOOK_URL": "http://hooks.example.com/x"], envFile: nil)
                .load(socketPath: "/nonexistent/s", stateDirectory: "/nonexistent/d", requireReal: false)
            Issue.record("a plain-http webhook elsewhere than loopback was accepted")
        } catch let error as ConfigurationError {
            #expect("\(error)".contains("ALERT_WEBHOOK_URL"))
            #expect(!"\(error)".contains("hooks.example.com"))
        }
    }
}
