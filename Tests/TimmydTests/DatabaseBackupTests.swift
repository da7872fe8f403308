import Foundation
import Testing
@testable import timmyd

/// `SQLiteDatabase.backup`: the stepped online copy behind `admin.backup`.
@Suite struct DatabaseBackupTests {
    let directory: TemporaryDirectory
    let db: SQLiteDatabase

    init() throws {
        directory = try TemporaryDirectory()
        db = try SQLiteDatabase(path: directory.path("live.db"))
        // Enough rows for many pages, so a one-page step takes many steps.
        try db.executeScript("CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT NOT NULL, filler BLOB)")
        try db.transaction { transaction in
            for id in 1...200 {
                try transaction.execute(
                    "INSERT INTO jobs (id, state, filler) VALUES (?, 'ready', zeroblob(1000))", [id])
            }
        }
    }

    @Test func copyIsCompleteCheckedAndStandsAloneInOneFile() async throws {
        let copyPath = directory.path("copy.db")
        let result = try await db.backup(to: copyPath, pagesPerStep: 8, pause: .zero)
        #expect(result.jobs == 200)
        #expect(try permissions(of: copyPath) == 0o600)
        #expect(!FileManager.default.fileExists(atPath: copyPath + "-journal"))
        #expect(!FileManager.default.fileExists(atPath: copyPath + "-wal"))
        // The header says rollback journal (version bytes 1), not WAL (2): the file needs no -wal beside it.
        let header = try #require(FileManager.default.contents(atPath: copyPath)).prefix(20)
        #expect(Array(header.suffix(2)) == [1, 1])

        let copy = try SQLiteDatabase(path: copyPath)
        #expect(try copy.queryOne("PRAGMA integrity_check")?[0] == .text("ok"))
        #expect(try copy.queryOne("SELECT COUNT(*) AS n FROM jobs")?.int("n") == 200)
    }

    @Test func writesBetweenStepsAreCarriedIntoTheCopyAndAreNotBlocked() async throws {
        let copyPath = directory.path("copy.db")
        let database = db
        // One page per step with a pause: the copy takes a while, and the writer gets in between steps.
        let backup = Task { try await database.backup(to: copyPath, pagesPerStep: 1, pause: .milliseconds(5)) }
        try await Task.sleep(for: .milliseconds(50))
        let started = ContinuousClock.now
        try db.execute("UPDATE jobs SET state = 'destroyed' WHERE id = 1")
        try db.execute("INSERT INTO jobs (id, state) VALUES (1000, 'awaiting_payment')")
        let writeTime = ContinuousClock.now - started
        let result = try await backup.value
        #expect(writeTime < .milliseconds(100), "writes waited \(writeTime) during the backup")

        #expect(result.jobs == 201)
        let copy = try SQLiteDatabase(path: copyPath)
        #expect(try copy.queryOne("SELECT state FROM jobs WHERE id = 1")?.string("state") == "destroyed")
        #expect(try copy.queryOne("SELECT state FROM jobs WHERE id = 1000")?.string("state") == "awaiting_payment")
        #expect(try copy.queryOne("PRAGMA integrity_check")?[0] == .text("ok"))
    }

    @Test func anExistingDestinationIsRefusedAndLeftAlone() async throws {
        let copyPath = directory.path("copy.db")
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: copyPath))
        await #expect(throws: SQLiteError.self) { try await db.backup(to: copyPath, pagesPerStep: 8, pause: .zero) }
        #expect(try String(contentsOfFile: copyPath, encoding: .utf8) == "keep me")

        let victim = directory.path("victim")
        try Data("victim".utf8).write(to: URL(fileURLWithPath: victim))
        let link = directory.path("link.db")
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: victim)
        await #expect(throws: SQLiteError.self) { try await db.backup(to: link, pagesPerStep: 8, pause: .zero) }
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "victim")
    }
}
