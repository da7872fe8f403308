import Foundation
import Protocol
import Testing

/// `timmyctl new` draws the invoice as a QR code for a person at a terminal, and only then.
@Suite struct TerminalQRTests {
    /// Runs timmyctl on a pseudo-terminal (util-linux `script`), so its stdout is a tty.
    func ctlOnTerminal(_ daemon: DaemonHarness, _ arguments: String) throws -> CommandResult {
        let command = "\(Binaries.timmyctl) \(arguments)"
        return try runProgram(
            "/usr/bin/script", ["-qec", command, "/dev/null"],
            environment: ["TIMMY_SOCKET": daemon.socketPath, "TIMMY_TOKEN_FILE": daemon.folder + "/tokens"])
    }

    static let blocks: Set<Character> = ["\u{2588}", "\u{2580}", "\u{2584}"]

    @Test func newDrawsTheInvoiceOnATerminal() throws {
        let daemon = try DaemonHarness().start()
        let drawn = try ctlOnTerminal(daemon, "new")
        #expect(drawn.status == 0, "\(drawn.stderr)")
        #expect(drawn.stdout.contains("invoice:  lnstub"))
        #expect(drawn.stdout.contains { Self.blocks.contains($0) })
        // `script` ends lines with "\r\n".
        let lines = drawn.stdout.split(whereSeparator: \.isNewline).filter { $0.contains { Self.blocks.contains($0) } }
        #expect(lines.count >= 10)
    }

    @Test func noQRAndPipesGetPlainText() throws {
        let daemon = try DaemonHarness().start()
        let flagged = try ctlOnTerminal(daemon, "new --no-qr")
        #expect(flagged.status == 0)
        #expect(flagged.stdout.contains("invoice:  lnstub"))
        #expect(!flagged.stdout.contains { Self.blocks.contains($0) })
        let piped = try daemon.ctl("new")
        #expect(piped.status == 0)
        #expect(piped.stdout.contains("invoice:  lnstub"))
        #expect(!piped.stdout.contains { Self.blocks.contains($0) })
        #expect(!piped.stdout.contains("\u{1B}["))
    }
}
