import Dispatch
import Foundation
import Synchronization
import Testing
@testable import timmyd

@Suite struct SQLiteDatabaseTests {
    let directory: TemporaryDirectory
    let db: SQLiteDatabase

    init() throws {
        directory = try TemporaryDirectory()
        db = try SQLiteDatabase(path: directory.path("test.db"))
    }

    /// A jobs table with one row in state `awaiting_payment`, as the daemon would have.
    private func makeJobsTable(in db: SQLiteDatabase) throws {
        try db.executeScript("""
            CREATE TABLE IF NOT EXISTS jobs (id INTEGER PRIMARY KEY, state TEXT NOT NULL, winner INTEGER);
            INSERT OR IGNORE INTO jobs (id, state) VALUES (1, 'awaiting_payment');
            """)
    }

    // MARK: Opening

    @Test func journalModeIsWALAndSecureDeleteIsOnAfterOpen() throws {
        #expect(try db.queryOne("PRAGMA journal_mode")?.string("journal_mode") == "wal")
        #expect(try db.queryOne("PRAGMA secure_delete")?.int("secure_delete") == 1)
        #expect(try db.queryOne("PRAGMA foreign_keys")?.int("foreign_keys") == 1)
        #expect(try db.queryOne("PRAGMA synchronous")?.int("synchronous") == 2)  // FULL
        #expect(try db.queryOne("PRAGMA busy_timeout")?.int("timeout") == 5000)
    }

    @Test func databaseFileAndItsWALAreMode0600() throws {
        try db.execute("CREATE TABLE t (x)")
        try db.execute("INSERT INTO t VALUES (1)")
        #expect(try permissions(of: directory.path("test.db")) == 0o600)
        #expect(try permissions(of: directory.path("test.db-wal")) == 0o600)
        #expect(try permissions(of: directory.path("test.db-shm")) == 0o600)
    }

    @Test func openingAnExistingWorldReadableFileTightensItTo0600() throws {
        let path = directory.path("loose.db")
        #expect(FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o644]))
        #expect(try permissions(of: path) == 0o644)
        _ = try SQLiteDatabase(path: path)
        #expect(try permissions(of: path) == 0o600)
    }

    @Test func refusesASymlinkedDatabasePath() throws {
        let target = directory.path("real.db")
        let link = directory.path("link.db")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        #expect(throws: SQLiteError.self) { try SQLiteDatabase(path: link) }
        #expect(!FileManager.default.fileExists(atPath: target))
    }

    @Test func refusesAPathThroughASymlinkedDirectoryWithoutLeavingAFile() throws {
        let real = directory.path("real")
        try FileManager.default.createDirectory(atPath: real, withIntermediateDirectories: false)
        try FileManager.default.createSymbolicLink(atPath: directory.path("alias"), withDestinationPath: real)
        let error = try #require(throws: SQLiteError.self) {
            try SQLiteDatabase(path: directory.path("alias") + "/jobs.db")
        }
        #expect(error.message.contains("symbolic link"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: real) == [])
    }

    @Test func refusesSomethingOtherThanARegularFileWithoutHanging() throws {
        let fifo = directory.path("fifo")
        #expect(mkfifo(fifo, 0o644) == 0)
        // Explicitly: the umask is the process's, and daemons started in-process by other
        // suites narrow it for a moment while they bind their socket.
        #expect(chmod(fifo, 0o644) == 0)
        let error = try #require(throws: SQLiteError.self) { try SQLiteDatabase(path: fifo) }
        #expect(error.message.contains("not a regular file"))
        #expect(try permissions(of: fifo) == 0o644)
    }

    @Test func inMemoryDatabaseOpens() throws {
        let memory = try SQLiteDatabase(path: ":memory:")
        #expect(try memory.queryOne("SELECT 1 AS one")?.int("one") == 1)
    }

    // MARK: Values

    @Test func roundTripsEveryValueType() throws {
        try db.execute("CREATE TABLE v (id INTEGER PRIMARY KEY, value)")
        let values: [SQLValue] = [
            .null,
            .integer(0), .integer(Int64.min), .integer(Int64.max),
            .real(0), .real(-1.5), .real(Double.greatestFiniteMagnitude),
            .text(""), .text("plain"), .text("ünïcødé 🚀"), .text("nul\u{0}inside"),
            .blob([]), .blob([0]), .blob([0, 0, 0]), .blob([0, 1, 0, 255]), .blob(Array(repeating: 0xAB, count: 100_000)),
        ]
        for (id, value) in values.enumerated() {
            try db.execute("INSERT INTO v (id, value) VALUES (?, ?)", [id, value])
        }
        let rows = try db.query("SELECT value, typeof(value) AS type FROM v ORDER BY id")
        #expect(rows.map { $0["value"] } == values)
        // An empty blob must stay a blob, and an empty string text, not turn into NULL.
        #expect(rows[11].string("type") == "blob")
        #expect(rows[7].string("type") == "text")
    }

    @Test func bindsSwiftValuesDirectly() throws {
        try db.execute("CREATE TABLE s (i INTEGER, i64 INTEGER, d REAL, t TEXT, b BLOB, flag INTEGER, missing TEXT)")
        let nothing: String? = nil
        let changed = try db.execute(
            "INSERT INTO s VALUES (?, ?, ?, ?, ?, ?, ?)",
            [42, Int64(-7), 2.5, "text", [UInt8]([1, 2]), true, nothing])
        #expect(changed == 1)
        let row = try #require(try db.queryOne("SELECT * FROM s"))
        #expect(row.int("i") == 42)
        #expect(row.int("i64") == -7)
        #expect(row.double("d") == 2.5)
        #expect(row.string("t") == "text")
        #expect(row.blob("b") == [1, 2])
        #expect(row.bool("flag") == true)
        #expect(row["missing"] == .null)
        #expect(row.string("missing") == nil)
        #expect(row.int("t") == nil)  // typed accessors never convert between storage classes
        #expect(row.columnNames == ["i", "i64", "d", "t", "b", "flag", "missing"])
    }

    @Test func queryOneReturnsNilWhenThereAreNoRows() throws {
        #expect(try db.queryOne("SELECT 1 WHERE 0") == nil)
    }

    @Test func updateReturningGivesTheChangedRowsAndExecuteCountsThem() throws {
        try db.executeScript("""
            CREATE TABLE n (id INTEGER PRIMARY KEY, state TEXT);
            INSERT INTO n VALUES (1, 'a'), (2, 'a'), (3, 'b');
            """)
        let rows = try db.query("UPDATE n SET state = ? WHERE state = ? RETURNING id", ["c", "a"])
        #expect(Set(rows.compactMap { $0.int("id") }) == [1, 2])
        #expect(try db.execute("UPDATE n SET state = 'd'") == 3)
        #expect(try db.execute("UPDATE n SET state = 'e' WHERE id = ? RETURNING *", [3]) == 1)
    }

    // MARK: Statement cache

    @Test func cachedStatementIsReusableAfterAnError() throws {
        try db.execute("CREATE TABLE u (name TEXT UNIQUE)")
        let insert = "INSERT INTO u VALUES (?)"
        try db.execute(insert, ["a"])
        #expect(throws: SQLiteError.self) { try db.execute(insert, ["a"]) }
        try db.execute(insert, ["b"])
        #expect(try db.query("SELECT name FROM u ORDER BY name").compactMap { $0.string("name") } == ["a", "b"])
    }

    @Test func cachedSelectStarSeesColumnsAddedLater() throws {
        try db.executeScript("CREATE TABLE w (a); INSERT INTO w VALUES (1);")
        #expect(try db.queryOne("SELECT * FROM w")?.columnNames == ["a"])
        try db.execute("ALTER TABLE w ADD COLUMN b DEFAULT 2")
        let row = try #require(try db.queryOne("SELECT * FROM w"))
        #expect(row.columnNames == ["a", "b"])
        #expect(row.int("b") == 2)
    }

    // MARK: Errors

    @Test func failingStatementErrorNamesTheSQLButNotTheBoundValues() throws {
        try db.execute("CREATE TABLE secrets (token TEXT PRIMARY KEY)")
        let secret = "sk_live_DO_NOT_LOG_ME"
        try db.execute("INSERT INTO secrets (token) VALUES (?)", [secret])
        let error = try #require(throws: SQLiteError.self) {
            try db.execute("INSERT INTO secrets (token) VALUES (?)", [secret])
        }
        #expect(error.isConstraintViolation)
        #expect(error.isUniqueViolation)
        #expect(!error.isBusy)
        #expect(error.description.contains("INSERT INTO secrets (token) VALUES (?)"))
        #expect(error.description.contains("UNIQUE constraint failed"))
        #expect(!error.description.contains(secret))
        #expect(!String(reflecting: error).contains(secret))
    }

    @Test func longSQLIsTruncatedInErrors() throws {
        let sql = "SELECT " + Array(repeating: "1", count: 500).joined(separator: ", ") + " FROM nowhere"
        let error = try #require(throws: SQLiteError.self) { try db.query(sql) }
        #expect(error.message.contains("no such table"))
        #expect(try #require(error.sql).count <= SQLiteError.maxSQLLength + 1)
    }

    @Test func foreignKeysAreEnforced() throws {
        try db.executeScript("""
            CREATE TABLE parent (id INTEGER PRIMARY KEY);
            CREATE TABLE child (parent_id INTEGER NOT NULL REFERENCES parent(id));
            """)
        let error = try #require(throws: SQLiteError.self) {
            try db.execute("INSERT INTO child VALUES (?)", [99])
        }
        #expect(error.isConstraintViolation)
        #expect(!error.isUniqueViolation)
    }

    @Test func refusesMoreThanOneStatementOutsideExecuteScript() throws {
        try db.execute("CREATE TABLE m (x)")
        #expect(throws: SQLiteError.self) { try db.execute("INSERT INTO m VALUES (1); DROP TABLE m") }
        #expect(try db.queryOne("SELECT count(*) AS n FROM m")?.int("n") == 0)
        // A trailing semicolon and comments are fine.
        try db.execute("INSERT INTO m VALUES (1); -- done")
        #expect(try db.queryOne("SELECT count(*) AS n FROM m")?.int("n") == 1)
    }

    @Test func refusesTheWrongNumberOfBindings() throws {
        let error = try #require(throws: SQLiteError.self) { try db.query("SELECT ?, ?", [1]) }
        #expect(error.message.contains("2 bindings, 1 given"))
    }

    @Test func executeScriptErrorNamesTheScript() throws {
        let error = try #require(throws: SQLiteError.self) {
            try db.executeScript("CREATE TABLE ok (x); CREATE TABLE broken (")
        }
        #expect(error.sql?.contains("CREATE TABLE broken") == true)
    }

    // MARK: Transactions

    @Test func transactionCommitsAndReturnsTheBodysValue() throws {
        try db.execute("CREATE TABLE t (x INTEGER)")
        let count = try db.transaction { tx in
            try tx.execute("INSERT INTO t VALUES (?)", [1])
            try tx.execute("INSERT INTO t VALUES (?)", [2])
            return try tx.queryOne("SELECT count(*) AS n FROM t")?.int("n")
        }
        #expect(count == 2)
        #expect(try db.queryOne("SELECT sum(x) AS s FROM t")?.int("s") == 3)
    }

    @Test func transactionRollsBackOnThrow() throws {
        struct Abort: Error {}
        try db.execute("CREATE TABLE t (x INTEGER)")
        try db.execute("INSERT INTO t VALUES (0)")
        #expect(throws: Abort.self) {
            try db.transaction { tx in
                try tx.execute("INSERT INTO t VALUES (1)")
                try tx.execute("UPDATE t SET x = x + 10")
                throw Abort()
            }
        }
        #expect(try db.query("SELECT x FROM t").compactMap { $0.int("x") } == [0])
        // The connection is usable, and out of the transaction, afterwards.
        try db.execute("INSERT INTO t VALUES (5)")
        #expect(try db.queryOne("SELECT count(*) AS n FROM t")?.int("n") == 2)
    }

    @Test func usingTheDatabaseInsideItsOwnTransactionThrowsInsteadOfDeadlocking() throws {
        try db.execute("CREATE TABLE t (x INTEGER)")
        let error = try #require(throws: SQLiteError.self) {
            try db.transaction { tx in
                try tx.execute("INSERT INTO t VALUES (1)")
                try db.execute("INSERT INTO t VALUES (2)")  // wrong handle
            }
        }
        #expect(error.message.contains("re-entrantly"))
        #expect(try db.queryOne("SELECT count(*) AS n FROM t")?.int("n") == 0)
    }

    @Test func transactionHandleIsDeadAfterTheTransaction() throws {
        var escaped: SQLiteDatabase.Transaction?
        try db.transaction { tx in escaped = tx }
        #expect(throws: SQLiteError.self) { try escaped?.query("SELECT 1") }
    }

    @Test func sqlThatEndsTheTransactionEarlyIsRefused() throws {
        try db.execute("CREATE TABLE t (x INTEGER)")
        #expect(throws: SQLiteError.self) {
            try db.transaction { tx in
                try tx.executeScript("INSERT INTO t VALUES (1); COMMIT;")
            }
        }
        try db.execute("INSERT INTO t VALUES (2)")  // not stuck in a transaction
    }

    // MARK: Concurrency

    @Test func guardedUpdateLetsExactlyOneOf50ConcurrentTasksWin() async throws {
        try makeJobsTable(in: db)
        let db = self.db
        let winners = await withTaskGroup(of: Bool.self) { group in
            for task in 0..<50 {
                group.addTask {
                    let rows = (try? db.query(
                        "UPDATE jobs SET state = ?, winner = ? WHERE id = ? AND state = ? RETURNING *",
                        ["provisioning", task, 1, "awaiting_payment"])) ?? []
                    return rows.count == 1
                }
            }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(winners == 1)
        let row = try #require(try db.queryOne("SELECT * FROM jobs WHERE id = ?", [1]))
        #expect(row.string("state") == "provisioning")
        #expect(row.int("winner") != nil)
    }

    @Test func guardedUpdateOnTwoConnectionsLetsExactlyOneWin() throws {
        let path = directory.path("shared.db")
        let first = try SQLiteDatabase(path: path)
        let second = try SQLiteDatabase(path: path)
        try makeJobsTable(in: first)

        let outcomes = Mutex<(wins: Int, errors: [String])>((0, []))
        DispatchQueue.concurrentPerform(iterations: 50) { attempt in
            let db = attempt.isMultiple(of: 2) ? first : second
            do {
                // Read, pause, then write while holding the write lock, so the other connection
                // really has to wait on it (without the busy timeout it would get SQLITE_BUSY).
                let won = try db.transaction { tx -> Bool in
                    guard try tx.queryOne("SELECT state FROM jobs WHERE id = ?", [1])?.string("state") == "awaiting_payment" else {
                        return false
                    }
                    usleep(2_000)
                    let rows = try tx.query(
                        "UPDATE jobs SET state = ?, winner = ? WHERE id = ? AND state = ? RETURNING id",
                        ["provisioning", attempt, 1, "awaiting_payment"])
                    return rows.count == 1
                }
                if won { outcomes.withLock { $0.wins += 1 } }
            } catch {
                outcomes.withLock { $0.errors.append(String(describing: error)) }
            }
        }
        let result = outcomes.withLock { $0 }
        #expect(result.errors == [])
        #expect(result.wins == 1)
        #expect(try second.queryOne("SELECT state FROM jobs WHERE id = 1")?.string("state") == "provisioning")
    }

    @Test func writerWaitingLongerThanTheBusyTimeoutGetsABusyError() throws {
        let path = directory.path("busy.db")
        let holder = try SQLiteDatabase(path: path)
        let impatient = try SQLiteDatabase(path: path, busyTimeout: .milliseconds(50))
        try holder.execute("CREATE TABLE t (x)")
        let error = try holder.transaction { tx in
            try tx.execute("INSERT INTO t VALUES (1)")
            return try #require(throws: SQLiteError.self) { try impatient.execute("INSERT INTO t VALUES (2)") }
        }
        #expect(error.isBusy)
        #expect(try impatient.queryOne("SELECT count(*) AS n FROM t")?.int("n") == 1)
    }
}
