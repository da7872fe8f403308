import Testing
@testable import timmyd

@Suite struct MigratorTests {
    let directory: TemporaryDirectory
    let path: String

    init() throws {
        directory = try TemporaryDirectory()
        path = directory.path("migrate.db")
    }

    static let v1 = Migration(version: 1, name: "jobs", sql: """
        CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT NOT NULL);
        CREATE INDEX jobs_state ON jobs (state);
        """)
    static let v2 = Migration(version: 2, name: "job price", sql: "ALTER TABLE jobs ADD COLUMN price_cents INTEGER NOT NULL DEFAULT 0;")
    static let v3 = Migration(version: 3, name: "payments", sql: """
        CREATE TABLE payments (id INTEGER PRIMARY KEY, job_id INTEGER NOT NULL REFERENCES jobs(id));
        """)

    private func tableNames(_ db: SQLiteDatabase) throws -> [String] {
        try db.query("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name").compactMap { $0.string("name") }
    }

    @Test func appliesMigrationsInOrderAndRecordsTheVersion() throws {
        let db = try SQLiteDatabase(path: path)
        let applied = try Migrator.migrate(db, [Self.v1, Self.v2, Self.v3])
        #expect(applied == [1, 2, 3])
        #expect(try Migrator.userVersion(db) == 3)
        #expect(try tableNames(db) == ["jobs", "payments"])
        // v2 ran after v1: the column exists on the table v1 created.
        try db.execute("INSERT INTO jobs (id, state) VALUES (1, 'new')")
        #expect(try db.queryOne("SELECT price_cents FROM jobs")?.int("price_cents") == 0)
    }

    @Test func isIdempotentOnReopenAndAppliesOnlyNewMigrations() throws {
        do {
            let db = try SQLiteDatabase(path: path)
            #expect(try Migrator.migrate(db, [Self.v1, Self.v2]) == [1, 2])
            try db.execute("INSERT INTO jobs (id, state) VALUES (1, 'kept')")
        }
        do {
            let db = try SQLiteDatabase(path: path)
            #expect(try Migrator.migrate(db, [Self.v1, Self.v2]) == [])
            #expect(try Migrator.migrate(db, [Self.v1, Self.v2, Self.v3]) == [3])
            #expect(try Migrator.migrate(db, [Self.v1, Self.v2, Self.v3]) == [])
            #expect(try Migrator.userVersion(db) == 3)
            #expect(try db.queryOne("SELECT state FROM jobs WHERE id = 1")?.string("state") == "kept")
        }
    }

    @Test func refusesADatabaseNewerThanTheCode() throws {
        let db = try SQLiteDatabase(path: path)
        try Migrator.migrate(db, [Self.v1, Self.v2, Self.v3])
        let error = try #require(throws: MigrationError.self) { try Migrator.migrate(db, [Self.v1, Self.v2]) }
        #expect(error == .databaseNewerThanCode(databaseVersion: 3, latestKnownVersion: 2))
        #expect(throws: MigrationError.self) { try Migrator.migrate(db, []) }
        #expect(try Migrator.userVersion(db) == 3)
    }

    @Test func failingMigrationLeavesTheVersionAndSchemaUnchanged() throws {
        let db = try SQLiteDatabase(path: path)
        let broken = Migration(version: 2, name: "broken", sql: """
            CREATE TABLE half_done (x);
            ALTER TABLE no_such_table ADD COLUMN y;
            """)
        let error = try #require(throws: SQLiteError.self) { try Migrator.migrate(db, [Self.v1, broken, Self.v3]) }
        #expect(error.message.contains("no_such_table"))
        #expect(try Migrator.userVersion(db) == 1)
        #expect(try tableNames(db) == ["jobs"])  // neither half_done nor v3's payments
        // Fixed code then migrates normally.
        #expect(try Migrator.migrate(db, [Self.v1, Self.v2, Self.v3]) == [2, 3])
    }

    @Test func refusesMigrationsListedOutOfOrder() throws {
        let db = try SQLiteDatabase(path: path)
        let lists: [[Migration]] = [
            [Self.v2, Self.v1],                   // reversed
            [Self.v1, Self.v1],                   // duplicate
            [Self.v1, Self.v3],                   // gap
            [Migration(version: 0, name: "zero", sql: "SELECT 1;")],
        ]
        for list in lists {
            #expect(throws: MigrationError.self) { try Migrator.migrate(db, list) }
        }
        #expect(try Migrator.userVersion(db) == 0)
        #expect(try tableNames(db) == [])
    }
}
