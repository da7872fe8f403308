import Synchronization
import Testing
@testable import timmyd

/// The token bucket behind `CREATE_RATE_PER_MINUTE`, on a clock the test moves.
@Suite struct CreateRateLimiterTests {
    final class FakeClock: Sendable {
        let milliseconds = Mutex<Int64>(1_000_000)
        func advance(seconds: Double) { milliseconds.withLock { $0 += Int64(seconds * 1000) } }
    }

    @Test func aFullBucketAllowsABurstThenOnePerRefill() {
        let clock = FakeClock()
        let limiter = CreateRateLimiter(perMinute: 3) { clock.milliseconds.withLock { $0 } }
        for _ in 0..<3 { #expect(limiter.take("a") == .allowed) }
        // 3 a minute: the next token comes 20 s after the last was spent.
        #expect(limiter.take("a") == .retryAfter(seconds: 20))
        clock.advance(seconds: 15)
        #expect(limiter.take("a") == .retryAfter(seconds: 5))
        clock.advance(seconds: 5)
        #expect(limiter.take("a") == .allowed)
        #expect(limiter.take("a") == .retryAfter(seconds: 20))
        // Another key has its own bucket.
        #expect(limiter.take("b") == .allowed)
    }

    @Test func refusedCallsDoNotEarnTokensAndABucketNeverHoldsMoreThanItsSize() {
        let clock = FakeClock()
        let limiter = CreateRateLimiter(perMinute: 2) { clock.milliseconds.withLock { $0 } }
        clock.advance(seconds: 3600)
        #expect(limiter.take("a") == .allowed)
        #expect(limiter.take("a") == .allowed)
        for _ in 0..<5 { #expect(limiter.take("a") != .allowed) }
    }

    @Test func zeroTurnsTheLimitOff() {
        let limiter = CreateRateLimiter(perMinute: 0)
        for _ in 0..<1000 { #expect(limiter.take("a") == .allowed) }
    }

    @Test func fullBucketsAreForgottenSoManyAddressesCannotGrowTheTable() {
        let clock = FakeClock()
        let limiter = CreateRateLimiter(perMinute: 1) { clock.milliseconds.withLock { $0 } }
        for index in 0..<CreateRateLimiter.pruneThreshold { _ = limiter.take("addr-\(index)") }
        clock.advance(seconds: 61)
        // The next new key prunes every bucket that has refilled; "addr-0" starts full again.
        #expect(limiter.take("fresh") == .allowed)
        #expect(limiter.take("addr-0") == .allowed)
    }
}

