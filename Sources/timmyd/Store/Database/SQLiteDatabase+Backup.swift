import CSQLite

#if canImport(Glibc)
import Glibc
#endif

/// What an online backup produced: a checked, self-contained copy of the database.
struct DatabaseBackupResult: Sendable {
    /// Jobs in the copy.
    let jobs: Int64
}

extension SQLiteDatabase {
    /// Copies the live database into a new file at `destinationPath` (which must not exist)
    /// with SQLite's online backup API, `pagesPerStep` pages at a time. Each step holds the
    /// connection like any other call and the pause between steps lets every other caller
    /// in, so the daemon keeps serving during a long copy. The source is this very
    /// connection, so a write made between two steps is carried into the copy (SQLite
    /// updates pages already copied): the copy is the database as it was at the last step.
    ///
    /// The copy is then checked (`PRAGMA integrity_check` must answer "ok") and switched to
    /// a rollback journal so it is one file that stands alone. On any error the file is removed.
    func backup(to destinationPath: String, pagesPerStep: Int32, pause: Duration) async throws -> DatabaseBackupResult {
        let fd = open(destinationPath, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw SQLiteError(
                code: SQLITE_CANTOPEN, extendedCode: SQLITE_CANTOPEN,
                message: "cannot create \(destinationPath): \(String(cString: strerror(errno)))", sql: nil)
        }
        close(fd)
        do {
            let destination = try Self.openBackupDestination(destinationPath)
            try await copyPages(into: destination, pagesPerStep: pagesPerStep, pause: pause)
            return try Self.check(destination)
        } catch {
            unlink(destinationPath)
            unlink(destinationPath + "-journal")
            throw error
        }
    }

    private static func openBackupDestination(_ path: String) throws -> SQLiteConnection {
        // FULLMUTEX: between steps SQLite itself writes to the destination from the source
        // connection's commits (to keep copied pages current), on whatever thread commits.
        var handle: OpaquePointer?
        let rc = sqlite3_open_v2(path, &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_NOFOLLOW, nil)
        guard rc == SQLITE_OK, let handle else {
            let message = String(cString: handle.map { sqlite3_errmsg($0) } ?? sqlite3_errstr(rc))
            sqlite3_close_v2(handle)
            throw SQLiteError(code: rc, extendedCode: rc, message: "cannot open the backup copy: \(message)", sql: nil)
        }
        return SQLiteConnection(handle: handle)
    }

    private func copyPages(into destination: SQLiteConnection, pagesPerStep: Int32, pause: Duration) async throws {
        let backup = try withConnection(sql: nil) { source -> OpaquePointer in
            guard let backup = sqlite3_backup_init(destination.handle, "main", source.handle, "main") else {
                throw destination.error(sqlite3_errcode(destination.handle), sql: nil)
            }
            return backup
        }
        // However the copy ends, the backup object is finished under the connection's lock:
        // the source keeps a pointer to it until then.
        var finished = false
        func finish() throws {
            guard !finished else { return }
            finished = true
            let rc = try withConnection(sql: nil) { _ in sqlite3_backup_finish(backup) }
            guard rc == SQLITE_OK else { throw destination.error(rc, sql: nil) }
        }
        do {
            while true {
                let rc = try withConnection(sql: nil) { _ in sqlite3_backup_step(backup, pagesPerStep) }
                if rc == SQLITE_DONE { break }
                guard rc == SQLITE_OK || rc == SQLITE_BUSY || rc == SQLITE_LOCKED else {
                    throw SQLiteError(code: rc, extendedCode: rc, message: "backup step failed: \(String(cString: sqlite3_errstr(rc)))", sql: nil)
                }
                if pause > .zero { try await Task.sleep(for: pause) } else { await Task.yield() }
            }
            try finish()
        } catch {
            try? finish()
            throw error
        }
    }

    private static func check(_ copy: SQLiteConnection) throws -> DatabaseBackupResult {
        let answers = try copy.query("PRAGMA integrity_check", [], cache: false).compactMap { row -> String? in
            if case .text(let text) = row[0] { return text }
            return nil
        }
        guard answers == ["ok"] else {
            throw SQLiteError.misuse("the backup copy failed its integrity check: \(answers.prefix(3).joined(separator: "; "))", sql: "PRAGMA integrity_check")
        }
        // The copy carries the live database's WAL flag; a rollback journal makes it one
        // file that opens anywhere (the daemon switches a restored copy back to WAL).
        _ = try copy.query("PRAGMA journal_mode=DELETE", [], cache: false)
        let jobs = try copy.query("SELECT COUNT(*) FROM jobs", [], cache: false).first?[0]
        guard case .integer(let count) = jobs else { throw SQLiteError.misuse("the backup copy has no jobs table", sql: nil) }
        return DatabaseBackupResult(jobs: count)
    }
}
