import CSQLite

/// The floor for bootstrap.create: one small insert committed with WAL and
/// synchronous=FULL (as timmyd's store commits) on a database in the same folder.
enum CommitBaseline {
    static func measure(databasePath: String, count: Int) throws(BenchError) -> Samples {
        var handle: OpaquePointer?
        guard sqlite3_open(databasePath, &handle) == SQLITE_OK, let database = handle else {
            throw BenchError("cannot open \(databasePath)")
        }
        defer { sqlite3_close(database) }
        for sql in [
            "PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL",
            "CREATE TABLE IF NOT EXISTS commits (id INTEGER PRIMARY KEY, label TEXT NOT NULL)",
        ] {
            guard sqlite3_exec(database, sql, nil, nil, nil) == SQLITE_OK else {
                throw BenchError("\(sql): \(String(cString: sqlite3_errmsg(database)))")
            }
        }
        var statement: OpaquePointer?
        guard sqlite3_prepare_v2(database, "INSERT INTO commits (label) VALUES ('bench')", -1, &statement, nil) == SQLITE_OK
        else { throw BenchError("prepare: \(String(cString: sqlite3_errmsg(database)))") }
        defer { sqlite3_finalize(statement) }
        var samples = Samples()
        for _ in 0..<count {
            let start = monotonicNanoseconds()
            // Outside a transaction each step is its own commit.
            guard sqlite3_step(statement) == SQLITE_DONE else {
                throw BenchError("insert: \(String(cString: sqlite3_errmsg(database)))")
            }
            sqlite3_reset(statement)
            samples.append(monotonicNanoseconds() - start)
        }
        return samples
    }
}
