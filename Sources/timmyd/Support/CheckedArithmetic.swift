/// Arithmetic on amounts, times and sizes that come from outside (a buyer's invoice,
/// an upstream reply, a header, the configuration). Swift traps on overflow, and a
/// trap kills the daemon: these report overflow instead, so the input gets an error.
enum Millisatoshis {
    /// `sats` in msat, or nil when that does not fit in 64 bits.
    static func from(sats: Int64) -> Int64? {
        let (msat, overflow) = sats.multipliedReportingOverflow(by: 1000)
        return overflow ? nil : msat
    }
}

extension Int64 {
    /// `self * factor`, clamped to `Int64.min...Int64.max` instead of trapping.
    func saturatingMultiplied(by factor: Int64) -> Int64 {
        let (product, overflow) = multipliedReportingOverflow(by: factor)
        guard overflow else { return product }
        return (self < 0) == (factor < 0) ? .max : .min
    }

    /// `self + other`, clamped to `Int64.min...Int64.max` instead of trapping.
    func saturatingAdding(_ other: Int64) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard overflow else { return sum }
        return other < 0 ? .min : .max
    }
}
