import Foundation
import QRCode
import Testing

/// The codes must scan: each renderer's output is turned into an image and read back
/// with zbar (Debian's `zbar-tools`; SVG drawn by `rsvg-convert` from `librsvg2-bin`).
@Suite struct QRCodeDecodingTests {
    /// A real-shaped BOLT 11 invoice (testnet, 5000 sat), long enough for a large version.
    static let invoice =
        "lntb50u1pjzx3mnpp5qqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqqqsyqcyq5rqwzqfqypqdq5xysxxatsyp3k7enxv4jsxqzpu"
        + "sp5zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zyg3zygs9qrsgq7ea976txfraylvgzuxs8kgcw23ezlrszfnh8r"
        + "6qtfpr6cxga50aj6txm9rxrydzd06dfeawfk6swupvz4erwnyutnjq7x39ymw6j38gp7ynn44"

    static var payload: String { QRCode.lightningPayload(invoice: invoice) }

    @Test func payloadIsUpperCaseAlphanumeric() {
        #expect(Self.payload.hasPrefix("LIGHTNING:LNTB50U1"))
        let alphanumeric = Set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
        #expect(Self.payload.allSatisfy(alphanumeric.contains))
        // Alphanumeric mode makes a smaller symbol than the same text in lower case (byte mode).
        let upper = try? QRCode(encoding: Self.payload)
        let lower = try? QRCode(encoding: "lightning:" + Self.invoice)
        #expect((upper?.size ?? .max) < (lower?.size ?? 0))
    }

    @Test func svgDecodesToThePayload() throws {
        let folder = try Self.temporaryFolder()
        defer { if ProcessInfo.processInfo.environment["KEEP_QR"] == nil { try? FileManager.default.removeItem(atPath: folder) } }
        let code = try QRCode(encoding: Self.payload)
        let svg = code.svg()
        #expect(svg.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        try svg.write(toFile: folder + "/code.svg", atomically: true, encoding: .utf8)
        try Self.require("rsvg-convert")
        let converted = try Self.run("rsvg-convert", ["-w", "600", "-o", folder + "/code.png", folder + "/code.svg"])
        #expect(converted.status == 0, "\(converted.output)")
        #expect(try Self.decode(folder + "/code.png") == Self.payload)
    }

    @Test func terminalTextDecodesToThePayload() throws {
        let folder = try Self.temporaryFolder()
        defer { if ProcessInfo.processInfo.environment["KEEP_QR"] == nil { try? FileManager.default.removeItem(atPath: folder) } }
        let code = try QRCode(encoding: Self.payload)
        let text = code.terminalText()
        // Read the glyphs back as modules: a glyph's foreground (the block) is light.
        var rows: [[Bool]] = []
        for line in text.split(separator: "\n") {
            let glyphs = line.replacingOccurrences(of: "\u{1B}[97;40m", with: "").replacingOccurrences(of: "\u{1B}[0m", with: "")
            var upper: [Bool] = []
            var lower: [Bool] = []
            for glyph in glyphs {
                switch glyph {
                case "\u{2588}": upper.append(false); lower.append(false)
                case "\u{2580}": upper.append(false); lower.append(true)
                case "\u{2584}": upper.append(true); lower.append(false)
                case " ": upper.append(true); lower.append(true)
                default: Issue.record("unexpected glyph \(glyph)")
                }
            }
            rows.append(upper)
            rows.append(lower)
        }
        let side = code.size + 2 * QRCode.quietZone
        #expect(rows.count == side + 1)  // an odd side leaves one light half-row at the bottom
        #expect(rows.allSatisfy { $0.count == side })
        // Quiet zone: the outer four modules are light all round.
        #expect(rows.prefix(4).allSatisfy { $0.allSatisfy { !$0 } })
        #expect(rows.allSatisfy { $0.prefix(4).allSatisfy { !$0 } && $0.suffix(4).allSatisfy { !$0 } })
        // As a netpbm bitmap (1 = black), 8 pixels per module.
        let scale = 8
        var pbm = "P1\n\(side * scale) \(rows.count * scale)\n"
        for row in rows {
            let line = row.flatMap { Array(repeating: $0 ? "1" : "0", count: scale) }.joined(separator: " ") + "\n"
            for _ in 0..<scale { pbm += line }
        }
        try pbm.write(toFile: folder + "/code.pbm", atomically: true, encoding: .ascii)
        #expect(try Self.decode(folder + "/code.pbm") == Self.payload)
    }

    @Test func emptyTextIsRefused() {
        #expect(throws: QRCode.EncodingError.self) { try QRCode(encoding: "") }
    }

    // MARK: Helpers

    static func decode(_ image: String) throws -> String {
        try require("zbarimg")
        let result = try run("zbarimg", ["--quiet", "--raw", image])
        #expect(result.status == 0, "zbarimg: \(result.output)")
        return result.output.trimmingCharacters(in: .newlines)
    }

    /// Skips the test when a tool is missing, except in CI, where `setup-debian.sh` installs it.
    static func require(_ tool: String) throws {
        if (try? run("which", [tool]))?.status == 0 { return }
        if ProcessInfo.processInfo.environment["CI"] == "true" { throw ToolMissing(tool: tool) }
        try Test.cancel("skipped: \(tool) is not installed (contrib/setup-debian.sh installs it)")
    }

    struct ToolMissing: Error { let tool: String }

    static func run(_ tool: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        // zbarimg complains on stderr when there is no D-Bus; only stdout is the answer.
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    static func temporaryFolder() throws -> String {
        var template = Array((NSTemporaryDirectory() + "/qrcode-test-XXXXXX").utf8CString)
        guard let made = mkdtemp(&template) else { throw ToolMissing(tool: "mkdtemp") }
        return String(cString: made)
    }
}
