import Foundation
import Testing

/// The store speaks in intents: SQL, `SQLValue` and row reading stay in Sources/timmyd/Store.
/// A new line of SQL in business code fails this test instead of slipping in.
@Suite struct StoreBoundaryTests {
    /// Things only the store may say. Comment lines are skipped: prose may describe SQL.
    static let storeOnly = try! NSRegularExpression(
        pattern: #"SQLValue|SQLRow|SQLExecutor|\b(SELECT|INSERT INTO|DELETE FROM|CREATE TABLE|UPDATE [a-z_]+ SET)\b|\.(query|queryOne|execute|executeScript)\("#)

    static var sourcesDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Sources/timmyd")
    }

    static func offendingLines(in text: String, file: String) -> [String] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().compactMap { index, line in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.hasPrefix("//") else { return nil }
            let range = NSRange(trimmed.startIndex..., in: trimmed)
            guard storeOnly.firstMatch(in: trimmed, range: range) != nil else { return nil }
            return "\(file):\(index + 1): \(trimmed)"
        }
    }

    @Test func noSQLOutsideTheStore() throws {
        let root = Self.sourcesDirectory
        let files = try #require(FileManager.default.enumerator(atPath: root.path)).compactMap { $0 as? String }
            .filter { $0.hasSuffix(".swift") && !$0.hasPrefix("Store/") }
        #expect(files.count > 50, "found the daemon's sources")
        var offending: [String] = []
        for file in files {
            let text = try String(contentsOf: root.appendingPathComponent(file), encoding: .utf8)
            offending += Self.offendingLines(in: text, file: file)
        }
        #expect(offending.isEmpty, "SQL outside Sources/timmyd/Store:\n\(offending.joined(separator: "\n"))")
    }

    /// The guard can fail: it sees what the old business code wrote.
    @Test func theGuardCatchesWhatBusinessCodeUsedToWrite() {
        let old = """
            // UPDATE jobs SET x = ? is fine in a comment
            var reported: [(String, SQLValue)] = [("paid_at", .integer(1))]
            for row in try store.database.query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state") {
            """
        #expect(Self.offendingLines(in: old, file: "Old.swift").count == 2)
    }
}
