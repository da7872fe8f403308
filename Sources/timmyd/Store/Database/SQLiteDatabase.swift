import CSQLite

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One SQLite connection, safe to share between threads and tasks.
///
/// Every use is serialized by an internal mutex, so a caller sees the connection as its own
/// for the whole of one call (or one `transaction`). Calls block the calling thread (disk I/O,
/// and up to the busy timeout when another connection holds the write lock).
///
/// The mutex is not re-entrant on purpose: calling the database from inside its own
/// `transaction` body throws a misuse error instead of deadlocking; use the `Transaction`
/// handle there.
final class SQLiteDatabase: @unchecked Sendable {
    // @unchecked: `connection` (and the OpaquePointers in it) is only touched under `mutex`.
    let path: String
    private let mutex = ErrorCheckingMutex()
    private let connection: SQLiteConnection

    static let defaultBusyTimeout: Duration = .milliseconds(5000)

    /// Opens (creating if needed, with mode 0600) the database at `path`.
    /// `":memory:"` opens a private in-memory database (journal mode "memory", not WAL).
    init(path: String, busyTimeout: Duration = SQLiteDatabase.defaultBusyTimeout) throws {
        self.path = path
        guard sqlite3_threadsafe() != 0 else {
            throw SQLiteError.misuse("libsqlite3 was built without thread support", sql: nil)
        }
        let inMemory = path == ":memory:"
        let createdFile = inMemory ? false : try Self.createPrivateFile(at: path)

        // NOMUTEX: our mutex already serializes every call and must also span each call and
        // its sqlite3_errmsg read, so SQLite's own per-connection mutex (FULLMUTEX) would only
        // be a redundant second lock. NOFOLLOW: a privileged daemon refuses a database path
        // with a symlink anywhere in it, rather than writing wherever the link points.
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, flags, nil)
        guard rc == SQLITE_OK, let handle else {
            let extendedCode = handle.map { sqlite3_extended_errcode($0) } ?? rc
            var reason = String(cString: handle.map { sqlite3_errmsg($0) } ?? sqlite3_errstr(rc))
            if extendedCode == Self.cantOpenSymlink {
                reason = "the path contains a symbolic link; pass the resolved path"
            }
            sqlite3_close_v2(handle)
            if createdFile { unlink(path) }
            throw SQLiteError(code: rc, extendedCode: extendedCode, message: "cannot open \(path): \(reason)", sql: nil)
        }
        connection = SQLiteConnection(handle: handle)  // closes the handle when released

        let (seconds, attoseconds) = busyTimeout.components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        // First, so that switching to WAL below waits for other connections instead of failing.
        sqlite3_busy_timeout(handle, Int32(clamping: milliseconds))

        // Pragmas run uncached: they are used once and would only occupy the statement cache.
        let journalMode = try connection.query("PRAGMA journal_mode=WAL", [], cache: false).first?[0]
        guard journalMode == .text("wal") || (inMemory && journalMode == .text("memory")) else {
            throw SQLiteError.misuse("could not enable WAL journal mode (got \(String(describing: journalMode)))", sql: "PRAGMA journal_mode=WAL")
        }
        _ = try connection.execute("PRAGMA secure_delete=ON", [], cache: false)
        // After a checkpoint resets the WAL, SQLite truncates it back to this size: a burst
        // of writes does not leave a large file of old page images (sealed keys among them).
        _ = try connection.query("PRAGMA journal_size_limit=\(Self.journalSizeLimitBytes)", [], cache: false)
        // Money is involved: FULL fsyncs the WAL on every commit, so a committed transaction
        // survives power loss (NORMAL in WAL mode may lose the latest commits).
        _ = try connection.execute("PRAGMA synchronous=FULL", [], cache: false)
        _ = try connection.execute("PRAGMA foreign_keys=ON", [], cache: false)
        // foreign_keys=ON is silently ignored by builds without foreign key support.
        guard try connection.query("PRAGMA foreign_keys", [], cache: false).first?[0] == .integer(1) else {
            throw SQLiteError.misuse("could not enable foreign key enforcement", sql: "PRAGMA foreign_keys=ON")
        }
    }

    /// The WAL's size after a checkpoint, in bytes (`PRAGMA journal_size_limit`).
    static let journalSizeLimitBytes = 4 << 20

    /// Copies every page in the WAL into the database file and truncates the WAL to zero
    /// bytes (`PRAGMA wal_checkpoint(TRUNCATE)`). `secure_delete` zeroes what a statement
    /// removes from the database file, but the WAL still holds earlier images of the
    /// page; this is what removes them. Returns false when another connection's reader kept
    /// the checkpoint from finishing (the pages then go at SQLite's next checkpoint).
    @discardableResult
    func checkpointTruncatingWAL() throws -> Bool {
        try withConnection(sql: "PRAGMA wal_checkpoint(TRUNCATE)") { connection in
            // The answer is (busy, log frames, checkpointed frames); busy = 1 means it could not finish.
            let row = try connection.query("PRAGMA wal_checkpoint(TRUNCATE)", [], cache: false).first
            return row?[0] == .integer(0)
        }
    }

    /// `SQLITE_CANTOPEN | (6 << 8)`; Swift does not import the macro.
    private static let cantOpenSymlink: Int32 = SQLITE_CANTOPEN | (6 << 8)

    /// Makes sure the file exists with mode 0600 before SQLite opens it. SQLite would create
    /// it 0644 (minus umask); its -wal and -shm files copy the database file's mode.
    /// Returns whether it created the file.
    private static func createPrivateFile(at path: String) throws -> Bool {
        var created = true
        // O_NONBLOCK: opening a FIFO planted at the path must not hang; harmless for files.
        let flags = O_RDWR | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK
        var fd = open(path, flags | O_CREAT | O_EXCL, mode_t(0o600))
        if fd < 0 && errno == EEXIST {
            created = false
            fd = open(path, flags)
        }
        guard fd >= 0 else { throw fileError("cannot open \(path)") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw fileError("cannot stat \(path)") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw SQLiteError(code: SQLITE_CANTOPEN, extendedCode: SQLITE_CANTOPEN, message: "cannot open \(path): not a regular file", sql: nil)
        }
        // Also tightens an existing file, and undoes a umask that removed the owner's bits.
        if info.st_mode & 0o777 != 0o600 {
            guard fchmod(fd, 0o600) == 0 else { throw fileError("cannot chmod 0600 \(path)") }
        }
        return created
    }

    private static func fileError(_ what: String) -> SQLiteError {
        let reason = String(cString: strerror(errno))
        return SQLiteError(code: SQLITE_CANTOPEN, extendedCode: SQLITE_CANTOPEN, message: "\(what): \(reason)", sql: nil)
    }

    /// Runs `body` while holding the connection exclusively. Internal (not private) for
    /// the online backup, whose every step must hold the connection like any other call.
    func withConnection<T>(sql: String?, _ body: (SQLiteConnection) throws -> T) throws -> T {
        guard mutex.lock() else {
            throw SQLiteError.misuse(
                "SQLiteDatabase used re-entrantly (from inside its own transaction?); use the Transaction handle",
                sql: sql)
        }
        defer { mutex.unlock() }
        return try body(connection)
    }
}

/// What can run SQL: the database itself, or an open transaction on it. Code that should
/// work both inside and outside a transaction can take `some SQLExecutor`.
protocol SQLExecutor {
    /// Runs one statement to completion and returns the number of rows it changed.
    func execute(_ sql: String, _ bindings: [any SQLValueConvertible]) throws -> Int
    /// Runs one statement to completion and returns its rows (SELECT, or INSERT/UPDATE/DELETE … RETURNING).
    func query(_ sql: String, _ bindings: [any SQLValueConvertible]) throws -> [SQLRow]
    /// Runs several `;`-separated statements (DDL scripts) with `sqlite3_exec`; no bindings.
    func executeScript(_ sql: String) throws
}

extension SQLExecutor {
    @discardableResult
    func execute(_ sql: String) throws -> Int { try execute(sql, []) }

    func query(_ sql: String) throws -> [SQLRow] { try query(sql, []) }

    /// The first row, or nil. The statement still runs to completion.
    func queryOne(_ sql: String, _ bindings: [any SQLValueConvertible] = []) throws -> SQLRow? {
        try query(sql, bindings).first
    }

    // Spelled-out values (`[.text(id), .null]`) read best where columns are nullable;
    // these let such array literals infer their element type.
    @discardableResult
    func execute(_ sql: String, _ values: [SQLValue]) throws -> Int { try execute(sql, values.map { $0 as any SQLValueConvertible }) }

    func query(_ sql: String, _ values: [SQLValue]) throws -> [SQLRow] { try query(sql, values.map { $0 as any SQLValueConvertible }) }

    func queryOne(_ sql: String, _ values: [SQLValue]) throws -> SQLRow? { try query(sql, values).first }
}

extension SQLiteDatabase: SQLExecutor {
    @discardableResult
    func execute(_ sql: String, _ bindings: [any SQLValueConvertible]) throws -> Int {
        try withConnection(sql: sql) { try $0.execute(sql, bindings) }
    }

    func query(_ sql: String, _ bindings: [any SQLValueConvertible]) throws -> [SQLRow] {
        try withConnection(sql: sql) { try $0.query(sql, bindings) }
    }

    func executeScript(_ sql: String) throws {
        try withConnection(sql: sql) { try $0.executeScript(sql) }
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction: commits when it returns, rolls back
    /// when it throws (or when COMMIT fails). IMMEDIATE takes the write lock up front, so a
    /// read-then-write body cannot fail halfway with SQLITE_BUSY; waiting for the lock is
    /// bounded by the busy timeout. The database stays locked to other callers until then.
    func transaction<T>(_ body: (Transaction) throws -> T) throws -> T {
        try withConnection(sql: "BEGIN IMMEDIATE") { connection in
            _ = try connection.execute("BEGIN IMMEDIATE", [])
            let transaction = Transaction(connection)
            defer { transaction.end() }
            do {
                let result = try body(transaction)
                _ = try connection.execute("COMMIT", [])
                return result
            } catch {
                connection.rollbackIfInTransaction()
                throw error
            }
        }
    }
}
