/// One SQLite value, as stored (SQLite's five storage classes).
///
/// Note: SQLite stores a bound `Double.nan` as NULL.
enum SQLValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob([UInt8])
}

/// A Swift value that can be bound to a `?` parameter.
///
/// Lets call sites pass plain values: `try db.query("… WHERE id=? AND state=?", [id, "pending"])`.
/// For an explicit NULL pass `SQLValue.null` (a bare `nil` has no type to bind) or an optional
/// variable.
protocol SQLValueConvertible {
    var sqlValue: SQLValue { get }
}

extension SQLValue: SQLValueConvertible {
    var sqlValue: SQLValue { self }
}

extension Int64: SQLValueConvertible {
    var sqlValue: SQLValue { .integer(self) }
}

extension Int: SQLValueConvertible {
    var sqlValue: SQLValue { .integer(Int64(self)) }
}

extension Int32: SQLValueConvertible {
    var sqlValue: SQLValue { .integer(Int64(self)) }
}

extension Double: SQLValueConvertible {
    var sqlValue: SQLValue { .real(self) }
}

extension String: SQLValueConvertible {
    var sqlValue: SQLValue { .text(self) }
}

extension Substring: SQLValueConvertible {
    var sqlValue: SQLValue { .text(String(self)) }
}

/// Bytes are stored as a BLOB; an empty array stays an empty BLOB, not NULL.
extension Array: SQLValueConvertible where Element == UInt8 {
    var sqlValue: SQLValue { .blob(self) }
}

/// Stored as INTEGER 0 or 1.
extension Bool: SQLValueConvertible {
    var sqlValue: SQLValue { .integer(self ? 1 : 0) }
}

extension Optional: SQLValueConvertible where Wrapped: SQLValueConvertible {
    var sqlValue: SQLValue { self?.sqlValue ?? .null }
}

extension SQLValue {
    /// The value of an optional, NULL when absent.
    init(_ optional: (some SQLValueConvertible)?) {
        self = optional?.sqlValue ?? .null
    }
}
