/// Timings of one figure, in nanoseconds, and their percentiles.
struct Samples {
    private(set) var values: [UInt64] = []

    init() { values.reserveCapacity(1024) }

    mutating func append(_ nanoseconds: UInt64) { values.append(nanoseconds) }

    /// The value below which `fraction` of the samples lie (nearest rank).
    func percentile(_ fraction: Double) -> Double {
        guard !values.isEmpty else { return 0 }
        let sorted = values.sorted()
        let rank = min(sorted.count - 1, max(0, Int((fraction * Double(sorted.count)).rounded(.up)) - 1))
        return Double(sorted[rank])
    }

    var median: Double { percentile(0.5) }
}

/// A monotonic clock reading in nanoseconds.
func monotonicNanoseconds() -> UInt64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return UInt64(now.tv_sec) * 1_000_000_000 + UInt64(now.tv_nsec)
}

#if canImport(Glibc)
import Glibc
#endif
