#if canImport(Glibc)
import Glibc
#endif
import NIOConcurrencyHelpers

/// A token bucket per caller key for `bootstrap.create`: each key holds at most
/// `perMinute` tokens and earns them back at `perMinute` a minute. Without it a buyer
/// could create and cancel jobs in a loop, each costing an invoice upstream and a row
/// here, while never meeting the unpaid-jobs cap.
final class CreateRateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updatedAt: Int64
    }

    /// Full buckets are forgotten once this many keys are held, so memory stays bounded.
    static let pruneThreshold = 4096

    let perMinute: Int
    private let now: @Sendable () -> Int64
    private let buckets = NIOLockedValueBox<[String: Bucket]>([:])

    /// - Parameter now: milliseconds on a clock that never goes back (tests pass their own).
    init(perMinute: Int, now: @escaping @Sendable () -> Int64 = CreateRateLimiter.monotonicMilliseconds) {
        self.perMinute = perMinute
        self.now = now
    }

    enum Decision: Equatable {
        case allowed
        /// No token now; one is earned in this many whole seconds.
        case retryAfter(seconds: Int64)
    }

    /// Takes one token for `key` if it has one.
    func take(_ key: String) -> Decision {
        guard perMinute > 0 else { return .allowed }
        let capacity = Double(perMinute)
        let perMillisecond = capacity / 60_000
        let time = now()
        return buckets.withLockedValue { buckets in
            if buckets.count >= Self.pruneThreshold {
                buckets = buckets.filter { _, bucket in bucket.tokens + Double(time - bucket.updatedAt) * perMillisecond < capacity }
            }
            var bucket = buckets[key] ?? Bucket(tokens: capacity, updatedAt: time)
            bucket.tokens = min(capacity, bucket.tokens + Double(time - bucket.updatedAt) * perMillisecond)
            bucket.updatedAt = time
            guard bucket.tokens >= 1 else {
                buckets[key] = bucket
                return .retryAfter(seconds: Int64(((1 - bucket.tokens) / perMillisecond / 1000).rounded(.up)))
            }
            bucket.tokens -= 1
            buckets[key] = bucket
            return .allowed
        }
    }

    @Sendable static func monotonicMilliseconds() -> Int64 {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000
    }
}
