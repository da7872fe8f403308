#if canImport(Glibc)
import Glibc
#endif

/// Wall-clock time in milliseconds since the Unix epoch: what the database stores.
struct Timestamp: Sendable, Hashable, Comparable {
    var milliseconds: Int64

    static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(milliseconds: Int64(spec.tv_sec) * 1000 + Int64(spec.tv_nsec) / 1_000_000)
    }

    static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.milliseconds < rhs.milliseconds }

    /// Saturates at the ends of time rather than trapping: an absurd lifetime from a
    /// reply or an invoice means "never" (or "long ago"), not a crash.
    func adding(seconds: Int64) -> Timestamp { adding(milliseconds: seconds.saturatingMultiplied(by: 1000)) }
    func adding(milliseconds delta: Int64) -> Timestamp { Timestamp(milliseconds: milliseconds.saturatingAdding(delta)) }

    /// RFC 3339 in UTC with whole seconds, the wire's time format: `2026-11-26T14:34:25Z`.
    var rfc3339: String {
        var seconds = time_t(milliseconds / 1000)
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }
}

extension Timestamp {
    /// Unix seconds, saturating like `adding`.
    init(unixSeconds: Int64) { self.init(milliseconds: unixSeconds.saturatingMultiplied(by: 1000)) }
}
