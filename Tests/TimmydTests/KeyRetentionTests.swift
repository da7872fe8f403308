import Testing
@testable import timmyd

/// When the key sweep wakes: never later than a deadline already stored, nor later
/// than one window from now (a key claimed while it sleeps has a deadline at least that far).
@Suite struct KeyRetentionTests {
    let now = Timestamp(milliseconds: 1_000_000)

    @Test func wakesAtTheEarliestStoredDeadline() {
        let wake = KeyRetention.nextWake(
            now: now, nextRetentionSweep: now.adding(seconds: 3600), nextConfirmDeadline: now.adding(seconds: 5),
            confirmWindowSeconds: 600)
        #expect(wake == now.adding(seconds: 5))
    }

    @Test func withNoDeadlineWakesWithinOneWindow() {
        let wake = KeyRetention.nextWake(
            now: now, nextRetentionSweep: now.adding(seconds: 3600), nextConfirmDeadline: nil, confirmWindowSeconds: 600)
        #expect(wake == now.adding(seconds: 600))
    }

    @Test func aLongWindowStillLetsTheHourlyRetentionSweepRun() {
        let wake = KeyRetention.nextWake(
            now: now, nextRetentionSweep: now.adding(seconds: 3600), nextConfirmDeadline: nil, confirmWindowSeconds: 86_400)
        #expect(wake == now.adding(seconds: 3600))
    }
}
