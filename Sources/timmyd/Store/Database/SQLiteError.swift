import CSQLite

/// A failed SQLite call.
///
/// Carries the SQL text (whitespace-collapsed, truncated) so logs say which statement
/// failed, but never the bound values: they may hold secrets.
struct SQLiteError: Error, CustomStringConvertible, Sendable {
    /// Primary result code, e.g. `SQLITE_CONSTRAINT`.
    let code: Int32
    /// Extended result code, e.g. `SQLITE_CONSTRAINT_UNIQUE`.
    let extendedCode: Int32
    /// `sqlite3_errmsg`, or this layer's own explanation for a misuse.
    let message: String
    /// The statement (or script) that failed, shortened for logging.
    let sql: String?

    static let maxSQLLength = 200

    init(code: Int32, extendedCode: Int32, message: String, sql: String?) {
        self.code = code & 0xff
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql.map(Self.abbreviate)
    }

    /// An error detected by this layer rather than by SQLite (`SQLITE_MISUSE`).
    static func misuse(_ message: String, sql: String?) -> SQLiteError {
        SQLiteError(code: SQLITE_MISUSE, extendedCode: SQLITE_MISUSE, message: message, sql: sql)
    }

    /// Any constraint failed: UNIQUE, PRIMARY KEY, FOREIGN KEY, CHECK, NOT NULL, ….
    var isConstraintViolation: Bool { code == SQLITE_CONSTRAINT }

    /// A UNIQUE or PRIMARY KEY constraint failed (a duplicate row).
    var isUniqueViolation: Bool {
        extendedCode == Self.constraintUnique || extendedCode == Self.constraintPrimaryKey
    }

    // Extended codes are `(primary | (n << 8))` macros, which Swift does not import.
    static let constraintPrimaryKey: Int32 = SQLITE_CONSTRAINT | (6 << 8)
    static let constraintUnique: Int32 = SQLITE_CONSTRAINT | (8 << 8)

    /// The database stayed locked by another connection for longer than the busy timeout.
    var isBusy: Bool { code == SQLITE_BUSY }

    var description: String {
        var text = "SQLite error \(code)"
        if extendedCode != code { text += " (extended \(extendedCode))" }
        text += ": \(message)"
        if let sql { text += " [SQL: \(sql)]" }
        return text
    }

    private static func abbreviate(_ sql: String) -> String {
        let collapsed = sql.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
        guard collapsed.count > maxSQLLength else { return collapsed }
        return collapsed.prefix(maxSQLLength) + "…"
    }
}
