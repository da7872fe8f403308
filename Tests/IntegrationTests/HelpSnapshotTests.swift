import Foundation
import Testing

/// `timmyctl --help`, each subcommand's help and `timmyd --help`, compared with the
/// committed files in Snapshots/: a changed option, default or wording shows up in review.
///
/// To re-record after an intended change, run
///     TIMMY_RECORD_SNAPSHOTS=1 swift test --skip-build --filter HelpSnapshotTests
/// and commit the rewritten Snapshots/*.txt with the change.
@Suite struct HelpSnapshotTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots").path
    static let recording = ProcessInfo.processInfo.environment["TIMMY_RECORD_SNAPSHOTS"] == "1"

    /// Help as a pipe gets it, at a fixed width (argument-parser wraps to `COLUMNS`).
    static func help(_ program: String, _ arguments: [String]) throws -> String {
        let result = try runProgram(program, arguments, environment: ["COLUMNS": "80"])
        #expect(result.status == 0, "\(arguments) exited \(result.status): \(result.stderr)")
        return result.stdout
    }

    /// The subcommands `timmyctl --help` lists (its SUBCOMMANDS section), besides `help`.
    static func subcommands(in rootHelp: String) -> [String] {
        let lines = rootHelp.split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(of: "SUBCOMMANDS:") else { return [] }
        return lines[(start + 1)...].prefix { !$0.isEmpty }.compactMap { line -> String? in
            // Entries start with two spaces; wrapped abstracts are indented further.
            guard line.hasPrefix("  "), !line.hasPrefix("   ") else { return nil }
            let name = String(line.dropFirst(2).prefix { $0 != " " })
            return name == "help" ? nil : name
        }
    }

    static func check(_ text: String, against name: String) throws {
        let path = folder + "/" + name + ".txt"
        if recording {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return
        }
        guard let recorded = try? String(contentsOfFile: path, encoding: .utf8) else {
            Issue.record("no snapshot \(name).txt: record it with TIMMY_RECORD_SNAPSHOTS=1")
            return
        }
        #expect(text == recorded, "help differs from Snapshots/\(name).txt; re-record with TIMMY_RECORD_SNAPSHOTS=1 if intended")
    }

    @Test func timmyctlHelpMatchesItsSnapshot() throws {
        try Self.check(try Self.help(Binaries.timmyctl, ["--help"]), against: "timmyctl")
    }

    @Test func everySubcommandsHelpMatchesItsSnapshot() throws {
        let names = Self.subcommands(in: try Self.help(Binaries.timmyctl, ["--help"]))
        // The list is read from the help itself, so a new subcommand needs a snapshot too.
        #expect(names.count >= 18 && names.contains("info") && names.contains("claim-key"), "\(names)")
        for name in names {
            try Self.check(try Self.help(Binaries.timmyctl, [name, "--help"]), against: "timmyctl-" + name)
        }
    }

    @Test func timmydHelpMatchesItsSnapshot() throws {
        try Self.check(try Self.help(Binaries.timmyd, ["--help"]), against: "timmyd")
    }
}
