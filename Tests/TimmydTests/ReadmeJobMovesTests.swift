import Foundation
import Protocol
import Testing
@testable import timmyd

/// The README's table of job moves is what operators and integrators read; it must
/// say exactly what `JobStateMachine` allows, no move missing and none invented.
@Suite struct ReadmeJobMovesTests {
    @Test func readmeTableListsExactlyTheStateMachinesMoves() throws {
        let documented = try Self.readmeMoves()
        var actual: [String: (from: Set<String>, to: String)] = [:]
        for event in JobEvent.allCases {
            let sources = JobStateMachine.sources(of: event)
            let targets = Set(sources.compactMap { JobStateMachine.target(of: event, from: $0) })
            #expect(targets.count == 1, "\(event.rawValue) leads to one state")
            actual[event.rawValue] = (Set(sources.map(\.rawValue)), targets.first?.rawValue ?? "")
        }
        #expect(Set(documented.keys) == Set(actual.keys), "README events vs JobEvent")
        for (event, move) in actual {
            #expect(documented[event]?.from == move.from, "sources of \(event)")
            #expect(documented[event]?.to == move.to, "target of \(event)")
        }
    }

    /// Rows between the README's `job-moves` markers: `| \`event\` … | \`a\`, \`b\` | \`to\` |`.
    private static func readmeMoves() throws -> [String: (from: Set<String>, to: String)] {
        let readme = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let begin = try #require(text.range(of: "<!-- job-moves:begin -->"))
        let end = try #require(text.range(of: "<!-- job-moves:end -->"))
        var moves: [String: (from: Set<String>, to: String)] = [:]
        for row in text[begin.upperBound..<end.lowerBound].split(separator: "\n") where row.hasPrefix("| `") {
            let cells = row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            try #require(cells.count == 3, "row: \(row)")
            moves[Self.codeSpans(cells[0])[0]] = (Set(Self.codeSpans(cells[1])), Self.codeSpans(cells[2])[0])
        }
        return moves
    }

    private static func codeSpans(_ cell: String) -> [String] {
        cell.split(separator: "`", omittingEmptySubsequences: false).enumerated()
            .filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }
}
