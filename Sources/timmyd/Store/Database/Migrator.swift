/// One schema change, versioned in code. Versions run 1, 2, 3, … with no gaps; once shipped,
/// a migration is never edited or removed, only followed by new ones.
struct Migration: Sendable {
    let version: Int
    let name: String
    /// One or more statements, run as a script inside the migration's transaction. Must not
    /// contain BEGIN/COMMIT/ROLLBACK; note that `PRAGMA foreign_keys` cannot change inside a
    /// transaction, so table rebuilds must keep foreign keys valid throughout.
    let sql: String
}

enum MigrationError: Error, CustomStringConvertible, Equatable {
    /// The list is not exactly versions 1, 2, 3, … in that order.
    case outOfOrder(position: Int, expectedVersion: Int, found: Int)
    /// The database was migrated by newer code; running older code on it is unsafe.
    case databaseNewerThanCode(databaseVersion: Int, latestKnownVersion: Int)

    var description: String {
        switch self {
        case let .outOfOrder(position, expected, found):
            "migrations out of order: entry \(position) has version \(found), expected \(expected)"
        case let .databaseNewerThanCode(databaseVersion, latestKnownVersion):
            "database schema version \(databaseVersion) is newer than this build knows (\(latestKnownVersion)); refusing to run on it"
        }
    }
}

enum Migrator {
    // The applied version lives in `PRAGMA user_version` rather than a schema_migrations
    // table: it is a field of the database header, changed by the same transaction as the
    // migration's DDL (so both commit or neither does), needs no bootstrap table that a
    // migration could damage, and is one integer read on every start.

    /// Applies, in order, every migration newer than the database, each in its own
    /// transaction. Throws `MigrationError` before touching anything if the list is malformed
    /// or the database is newer than the list; a failing migration throws its `SQLiteError`
    /// with the database left at the previous version. Returns the versions applied.
    @discardableResult
    static func migrate(_ db: SQLiteDatabase, _ migrations: [Migration]) throws -> [Int] {
        for (position, migration) in migrations.enumerated() where migration.version != position + 1 {
            throw MigrationError.outOfOrder(position: position, expectedVersion: position + 1, found: migration.version)
        }
        let latest = migrations.last?.version ?? 0
        let current = try userVersion(db)
        if current > latest {
            throw MigrationError.databaseNewerThanCode(databaseVersion: current, latestKnownVersion: latest)
        }

        var applied: [Int] = []
        for migration in migrations where migration.version > current {
            let didApply = try db.transaction { transaction in
                // Re-read under the write lock: another process may have migrated meanwhile.
                guard try userVersion(transaction) < migration.version else { return false }
                try transaction.executeScript(migration.sql)
                // PRAGMA takes no bound parameters; the version is an Int, so this is safe.
                // Run as a script so one-off texts do not fill the statement cache.
                try transaction.executeScript("PRAGMA user_version = \(migration.version)")
                return true
            }
            if didApply { applied.append(migration.version) }
        }
        return applied
    }

    static func userVersion(_ db: some SQLExecutor) throws -> Int {
        Int(try db.queryOne("PRAGMA user_version")?.int("user_version") ?? 0)
    }
}
