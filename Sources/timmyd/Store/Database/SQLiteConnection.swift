import CSQLite

/// The raw connection: one `sqlite3*` and its prepared-statement cache.
///
/// Not thread-safe and deliberately not Sendable: only `SQLiteDatabase` reaches it, always
/// while holding its mutex, and a `Transaction` only lends it out for the duration of its body.
final class SQLiteConnection {
    let handle: OpaquePointer
    /// Prepared statements keyed by SQL text. SQL in this daemon is static text, so the
    /// cache stays small; the cap only guards against a caller building SQL dynamically.
    private var statements: [String: OpaquePointer] = [:]
    static let maxCachedStatements = 100

    init(handle: OpaquePointer) {
        self.handle = handle
    }

    deinit {
        for statement in statements.values { sqlite3_finalize(statement) }
        // close_v2 never fails with SQLITE_BUSY: it defers closing until the statements are gone.
        sqlite3_close_v2(handle)
    }

    // MARK: Running statements

    /// Runs one statement to completion and returns `sqlite3_changes64`.
    /// Rows it yields (RETURNING, or a PRAGMA's answer) are discarded.
    func execute(_ sql: String, _ bindings: [any SQLValueConvertible], cache: Bool = true) throws -> Int {
        _ = try run(sql, bindings, collectRows: false, cache: cache)
        return Int(sqlite3_changes64(handle))
    }

    /// Runs one statement to completion and returns every row it yields.
    func query(_ sql: String, _ bindings: [any SQLValueConvertible], cache: Bool = true) throws -> [SQLRow] {
        try run(sql, bindings, collectRows: true, cache: cache)
    }

    /// Runs a script of any number of statements with `sqlite3_exec`; no bindings, no caching.
    func executeScript(_ sql: String) throws {
        try rejectNUL(sql)
        var errorMessage: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errorMessage)
        defer { sqlite3_free(errorMessage) }
        guard rc == SQLITE_OK else {
            throw SQLiteError(
                code: rc,
                extendedCode: sqlite3_extended_errcode(handle),
                message: errorMessage.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(rc)),
                sql: sql)
        }
    }

    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// Rolls back the open transaction, if any. Some errors (SQLITE_FULL, IOERR, BUSY, NOMEM)
    /// already rolled it back, and a second ROLLBACK would fail, hence the check.
    func rollbackIfInTransaction() {
        if isInTransaction {
            _ = sqlite3_exec(handle, "ROLLBACK", nil, nil, nil)
        }
    }

    private func run(_ sql: String, _ bindings: [any SQLValueConvertible], collectRows: Bool, cache: Bool) throws -> [SQLRow] {
        let (statement, isCached) = try prepare(sql, cache: cache)
        defer {
            // Leave a cached statement ready for its next use, with no values lingering in it.
            sqlite3_reset(statement)
            sqlite3_clear_bindings(statement)
            if !isCached { sqlite3_finalize(statement) }
        }

        let expected = Int(sqlite3_bind_parameter_count(statement))
        guard expected == bindings.count else {
            throw SQLiteError.misuse("statement takes \(expected) bindings, \(bindings.count) given", sql: sql)
        }
        for (offset, binding) in bindings.enumerated() {
            let rc = bind(binding.sqlValue, to: statement, at: Int32(offset + 1))
            guard rc == SQLITE_OK else { throw error(rc, sql: sql) }
        }

        var rows: [SQLRow] = []
        // Column names are read after the first step: a `SELECT *` that SQLite re-prepared
        // after a schema change may have different columns than when it was cached.
        var columns: SQLRow.Columns?
        while true {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc, sql: sql) }
            guard collectRows else { continue }
            let count = sqlite3_column_count(statement)
            if columns == nil {
                columns = SQLRow.Columns((0..<count).map { String(cString: sqlite3_column_name(statement, $0)) })
            }
            rows.append(SQLRow(columns: columns!, values: (0..<count).map { value(of: statement, at: $0) }))
        }
        return rows
    }

    // MARK: Preparing

    private func prepare(_ sql: String, cache: Bool) throws -> (OpaquePointer, cached: Bool) {
        if let statement = statements[sql] { return (statement, true) }
        try rejectNUL(sql)

        let persist = cache && statements.count < Self.maxCachedStatements
        var statement: OpaquePointer?
        var hasTrailingStatement = false
        let rc = sql.withCString { text -> Int32 in
            var tail: UnsafePointer<CChar>?
            let flags = persist ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
            let rc = sqlite3_prepare_v3(handle, text, -1, flags, &statement, &tail)
            // Anything after the first statement other than whitespace and comments would be
            // silently ignored; compile it (never run it) to find out whether it is a statement.
            if rc == SQLITE_OK, let tail, tail.pointee != 0 {
                var trailing: OpaquePointer?
                var ignored: UnsafePointer<CChar>?
                let tailRC = sqlite3_prepare_v3(handle, tail, -1, 0, &trailing, &ignored)
                // Unparseable trailing text counts as a statement too.
                hasTrailingStatement = tailRC != SQLITE_OK || trailing != nil
                sqlite3_finalize(trailing)
            }
            return rc
        }
        guard rc == SQLITE_OK else {
            let failure = error(rc, sql: sql)
            sqlite3_finalize(statement)
            throw failure
        }
        guard !hasTrailingStatement else {
            sqlite3_finalize(statement)
            throw SQLiteError.misuse("more than one statement; use executeScript for scripts", sql: sql)
        }
        guard let statement else {
            throw SQLiteError.misuse("no SQL statement", sql: sql)
        }
        if persist { statements[sql] = statement }
        return (statement, persist)
    }

    /// SQLite stops reading at a NUL byte, silently dropping the rest of the text.
    private func rejectNUL(_ sql: String) throws {
        if sql.utf8.contains(0) {
            throw SQLiteError.misuse("SQL text contains a NUL byte", sql: sql)
        }
    }

    // MARK: Values

    private func bind(_ value: SQLValue, to statement: OpaquePointer, at index: Int32) -> Int32 {
        switch value {
        case .null:
            return sqlite3_bind_null(statement, index)
        case .integer(let integer):
            return sqlite3_bind_int64(statement, index, integer)
        case .real(let real):
            return sqlite3_bind_double(statement, index, real)
        case .text(var text):
            return text.withUTF8 { utf8 in
                // A NULL pointer would bind SQL NULL, so an empty string needs a real pointer.
                guard let base = utf8.baseAddress, !utf8.isEmpty else {
                    return sqlite3_bind_text(statement, index, "", 0, csqlite_transient())
                }
                return base.withMemoryRebound(to: CChar.self, capacity: utf8.count) {
                    sqlite3_bind_text64(statement, index, $0, UInt64(utf8.count), csqlite_transient(), UInt8(SQLITE_UTF8))
                }
            }
        case .blob(let bytes):
            // Likewise a NULL pointer would bind SQL NULL, not an empty BLOB.
            guard !bytes.isEmpty else { return sqlite3_bind_zeroblob(statement, index, 0) }
            return bytes.withUnsafeBytes {
                sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), csqlite_transient())
            }
        }
    }

    private func value(of statement: OpaquePointer, at column: Int32) -> SQLValue {
        switch sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER:
            return .integer(sqlite3_column_int64(statement, column))
        case SQLITE_FLOAT:
            return .real(sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            // Read the pointer first, then the length (the documented order); text may hold NULs.
            guard let text = sqlite3_column_text(statement, column) else { return .text("") }
            let count = Int(sqlite3_column_bytes(statement, column))
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            // A zero-length BLOB comes back as a NULL pointer.
            guard let blob = sqlite3_column_blob(statement, column) else { return .blob([]) }
            let count = Int(sqlite3_column_bytes(statement, column))
            return .blob(Array(UnsafeRawBufferPointer(start: blob, count: count)))
        default:
            return .null
        }
    }

    /// Builds the error for a failed call; must run right after it, before anything else
    /// touches the connection, so `sqlite3_errmsg` still describes this failure.
    func error(_ rc: Int32, sql: String?) -> SQLiteError {
        SQLiteError(
            code: rc,
            extendedCode: sqlite3_extended_errcode(handle),
            message: String(cString: sqlite3_errmsg(handle)),
            sql: sql)
    }
}
