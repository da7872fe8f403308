import Foundation
import Protocol
import Testing
@testable import timmyd

/// The node's progress reports: the script reports exactly the protocol's steps, in
/// order; nothing is queued or sent without a report URL; a failure anywhere (also
/// inside a function) reports the step it stopped in; and the background sender posts
/// the queue in order, retries, drops refused reports, and never shows the token.
@Suite struct NodeSetupReportTests {
    static let token = "tnt_" + String(repeating: "Ab9-_", count: 8) + "xyz"
    static let target = NodeSetupReportTarget(url: "https://shop.example.com/api/nodes/0123abcd/setup", token: token)
    static let reporting = NodeUserDataInputs(resourceName: "timmy-0123abcd", volumeSizeGB: 100, setupReport: target)

    /// The steps the rendered script announces (`begin_step NAME` lines), in script order.
    static func announcedSteps(_ script: String) -> [String] {
        script.split(separator: "\n").compactMap { line in
            line.hasPrefix("begin_step ") ? String(line.dropFirst("begin_step ".count)) : nil
        }
    }

    @Test func reportedStepsAreExactlyTheProtocolsStepsInOrder() throws {
        let script = try UserDataRenderer.render(Self.reporting)
        #expect(Self.announcedSteps(script) == NodeSetupStep.allCases.map(\.rawValue))
        // The last report the script makes is `complete` `done`, after everything else.
        let lastReport = try #require(script.split(separator: "\n").last { $0.hasPrefix("report ") })
        #expect(lastReport == #"report complete "done""#)
        let complete = try #require(script.range(of: "\nbegin_step complete\n"))
        #expect(script.range(of: "\nreport complete \"done\"\n")!.lowerBound > complete.lowerBound)
        #expect(script.range(of: "\nreport complete \"done\"\n")!.lowerBound > script.range(of: "setup-complete")!.lowerBound)
    }

    @Test func reportTargetIsRenderedOnlyWhenGiven() throws {
        let without = try UserDataRenderer.render(NodeUserDataInputs(resourceName: "timmy-0123abcd", volumeSizeGB: 0))
        #expect(without.contains("\nREPORT_URL=''\n"))
        #expect(without.contains("\nREPORT_TOKEN=''\n"))
        #expect(!without.contains("tnt_"))
        let with = try UserDataRenderer.render(Self.reporting)
        #expect(with.contains("\nREPORT_URL='\(Self.target.url)'\n"))
        #expect(with.contains("\nREPORT_TOKEN='\(Self.token)'\n"))
        // The sender is started only under `if [ -n "$REPORT_URL" ]`.
        let guardLine = try #require(with.range(of: "\nif [ -n \"$REPORT_URL\" ]; then\n"))
        let start = try #require(with.range(of: "\n  setsid bash \"$NODE_DIR/report-sender.sh\" \"$REPORT_DIR\" </dev/null"))
        #expect(guardLine.upperBound < start.lowerBound)
        #expect(with.components(separatedBy: "setsid bash").count == 2)
    }

    /// The token goes from its shell variable into a 0600 header file and nowhere else:
    /// not onto a command line, not into the setup log.
    @Test func theTokenIsOnlyWrittenToThePrivateHeaderFile() throws {
        let script = try UserDataRenderer.render(Self.reporting)
        let uses = script.split(separator: "\n").filter { $0.contains("$REPORT_TOKEN") || $0.contains("${REPORT_TOKEN") }
        #expect(uses.map { $0.trimmingCharacters(in: .whitespaces) } == [
            #"printf 'Authorization: Bearer %s\n' "$REPORT_TOKEN" >"$REPORT_DIR/auth-header""#
        ])
        #expect(script.contains("  umask 077\n    printf 'Authorization: Bearer %s\\n' \"$REPORT_TOKEN\""))
        #expect(!script.contains("set -x"))
        #expect(NodeUserData.reportSender.contains("-H @\"$REPORT_DIR/auth-header\""))
    }

    @Test(arguments: [
        "ftp://example.com/x", "https://", "https:///path", "https://a b", "https://a\"b", "https://a'b", "https://a`b",
        "https://a\\b", "https://a\nb", "example.com/x", "https://é.example", "https://" + String(repeating: "a", count: 505),
    ])
    func badReportURLIsRefused(_ url: String) {
        let inputs = NodeUserDataInputs(
            resourceName: "timmy-0123abcd", volumeSizeGB: 0, setupReport: NodeSetupReportTarget(url: url, token: Self.token))
        #expect(throws: UserDataError.self) { try UserDataRenderer.render(inputs) }
        do { _ = try UserDataRenderer.render(inputs) } catch { #expect(error.field == "setupReport.url") }
    }

    @Test(arguments: ["", "tnt_", "tnt_" + String(repeating: "a", count: 42), "tnt_" + String(repeating: "a", count: 44),
        "TNT_" + String(repeating: "a", count: 43), "tnt_" + String(repeating: "a", count: 42) + "=",
        "tnt_" + String(repeating: "a", count: 42) + "'", "tnt_" + String(repeating: "a", count: 42) + "/"])
    func badNodeTokenIsRefused(_ token: String) {
        let inputs = NodeUserDataInputs(
            resourceName: "timmy-0123abcd", volumeSizeGB: 0, setupReport: NodeSetupReportTarget(url: Self.target.url, token: token))
        #expect(throws: UserDataError.self) { try UserDataRenderer.render(inputs) }
        do { _ = try UserDataRenderer.render(inputs) } catch { #expect(error.field == "setupReport.token") }
    }

    @Test func longestAllowedURLAndPlainHTTPAreAccepted() throws {
        let long = "https://" + String(repeating: "a", count: UserDataRenderer.maximumReportURLBytes - 8)
        for url in [long, "http://127.0.0.1:8080/api/nodes/x/setup"] {
            let script = try UserDataRenderer.render(
                NodeUserDataInputs(resourceName: "timmy-0123abcd", volumeSizeGB: 0, setupReport: NodeSetupReportTarget(url: url, token: Self.token)))
            #expect(script.contains("\nREPORT_URL='\(url)'\n"))
        }
    }

    @Test func reportSenderPassesShellcheckOnItsOwn() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("report-sender.sh")
        try writeFile(path, NodeUserData.reportSender + "\n", mode: 0o700)
        let lint = try run(try shellcheckPath(), ["--severity=style", path])
        #expect(lint.status == 0, "shellcheck report-sender.sh:\n\(lint.stdout)\(lint.stderr)")
        let script = try UserDataRenderer.render(Self.reporting)
        #expect(script.contains("<<'SENDER'\n" + NodeUserData.reportSender + "\nSENDER\n"))
    }

    // MARK: Running the script's own functions

    /// Runs `body` in bash after the script's helper functions and ERR trap, with the
    /// node's folders in `directory`. Returns the result and the queued reports.
    static func runSetupFunctions(_ body: String, reportURL: String, in directory: TemporaryDirectory) throws -> (ProcessResult, [[String]]) {
        let program = """
            set -Eeuo pipefail
            NODE_DIR=\(directory.path)/node
            REPORT_DIR=$NODE_DIR/reports
            CREDENTIALS_FILE=$NODE_DIR/credentials
            REPORT_URL=\(UserDataRenderer.shellQuote(reportURL))
            CURRENT_STEP=""
            SETUP_PID=$$
            mkdir -p "$NODE_DIR"
            if [ -n "$REPORT_URL" ]; then mkdir -p "$REPORT_DIR"; fi
            \(NodeUserData.setupFunctions)
            trap 'on_error $? $LINENO' ERR
            \(body)
            """
        let result = try run("/bin/bash", ["-c", program])
        let reports = directory.file("node/reports")
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: reports)) ?? []).filter { $0.hasSuffix(".report") }.sorted()
        let queued = try names.map { name in
            try readText(reports + "/" + name).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
        }
        return (result, queued)
    }

    @Test func stepsQueueRunningThenDoneInOrder() throws {
        let directory = try TemporaryDirectory()
        let (result, queued) = try Self.runSetupFunctions(
            "begin_step packages\nbegin_step docker\nbegin_step complete\nreport complete \"done\"",
            reportURL: Self.target.url, in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(queued == [
            ["packages", "running", ""], ["packages", "done", ""], ["docker", "running", ""], ["docker", "done", ""],
            ["complete", "running", ""], ["complete", "done", ""],
        ])
    }

    @Test func withoutAReportURLNothingIsQueued() throws {
        let directory = try TemporaryDirectory()
        let (result, queued) = try Self.runSetupFunctions(
            "begin_step packages\nbegin_step docker\nsetup_failed 'test'\nreport complete \"done\"", reportURL: "", in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(queued.isEmpty)
        #expect(!FileManager.default.fileExists(atPath: directory.file("node/reports")))
    }

    /// `set -E`: a command failing inside a function (or a command substitution in it)
    /// still reaches the ERR trap, which writes `setup-failed` and reports the step.
    @Test func aFailureInsideAFunctionReportsItsStepAndWritesSetupFailed() throws {
        let directory = try TemporaryDirectory()
        let (result, queued) = try Self.runSetupFunctions(
            """
            begin_step packages
            begin_step storage
            check_disk() { local free; free=$(false); echo "never $free"; }
            check_disk
            begin_step images
            """, reportURL: Self.target.url, in: directory)
        #expect(result.status == 1)
        #expect(!result.stdout.contains("never"))
        #expect(queued.map { $0.prefix(2) } == [["packages", "running"], ["packages", "done"], ["storage", "running"], ["storage", "failed"]])
        let message = try #require(queued.last?.last)
        #expect(message.hasPrefix("storage failed: line "), "\(message)")
        let failed = try readText(directory.file("node/setup-failed"))
        #expect(failed.contains("step=storage\n"))
        #expect(failed.contains("bash \(directory.path)/node/setup.sh"))
    }

    @Test func failStopsWithItsMessageOnce() throws {
        let directory = try TemporaryDirectory()
        let (result, queued) = try Self.runSetupFunctions(
            "begin_step storage\nfail \"only 9000 MiB free\"\necho after", reportURL: Self.target.url, in: directory)
        #expect(result.status == 1)
        #expect(!result.stdout.contains("after"))
        #expect(queued == [["storage", "running", ""], ["storage", "failed", "storage failed: only 9000 MiB free"]])
    }

    @Test func reportMessagesLoseControlCharactersAndStopAt500Bytes() throws {
        let directory = try TemporaryDirectory()
        let (result, queued) = try Self.runSetupFunctions(
            "report lnd failed \"$(printf 'a\\tb\\033[31mc\\nd')\"\nreport lnd failed \"$(head -c 2000 /dev/zero | tr '\\0' x)\"",
            reportURL: Self.target.url, in: directory)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(queued.count == 2)
        #expect(queued.first?.last == "ab[31mcd")
        #expect(queued.last?.last == String(repeating: "x", count: 500))
    }

    // MARK: The sender

    /// A tiny HTTP server that records every POST and answers with the given statuses in turn (then 200).
    static let sink = #"""
        import http.server, json, os, sys
        log, statuses = sys.argv[1], [int(code) for code in sys.argv[2:]]
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with open(log, "a") as out:
                    out.write(json.dumps({"path": self.path, "authorization": self.headers.get("Authorization"),
                        "type": self.headers.get("Content-Type"), "body": json.loads(body)}) + "\n")
                self.send_response(statuses.pop(0) if statuses else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()
            def log_message(self, *args):
                pass
        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        with open("sink.pid", "w") as out:
            out.write(str(os.getpid()))
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """#

    @Test func senderPostsInOrderRetriesAndDropsRefusedReports() throws {
        let directory = try TemporaryDirectory()
        try writeFile(directory.file("sink.py"), Self.sink)
        try writeFile(directory.file("report-sender.sh"), NodeUserData.reportSender + "\n", mode: 0o700)
        let driver = """
            set -euo pipefail
            cd \(UserDataRenderer.shellQuote(directory.path))
            mkdir -m 0700 reports
            python3 sink.py requests.jsonl 500 200 400 429 200 >port 2>sink.log </dev/null &
            # The server's own pid (python3 may be a wrapper that forks it); KILL, as TERM may be ignored here.
            trap 'kill -KILL "$(cat sink.pid)"' EXIT
            for _ in $(seq 100); do [ -s port ] && break; sleep 0.1; done
            echo "http://127.0.0.1:$(cat port)/api/nodes/0123abcd/setup" >reports/url
            printf 'Authorization: Bearer %s\\n' \(Self.token) >reports/auth-header
            # The setup has ended (a pid that no longer runs): the sender drains the queue and stops.
            sh -c 'exit 0' & wait $!; echo $! >reports/setup.pid
            printf 'packages\\nrunning\\n\\n' >reports/00000001.report
            printf 'packages\\ndone\\n\\n' >reports/00000002.report
            printf 'docker\\nrunning\\n\\n' >reports/00000003.report
            printf 'docker\\nfailed\\ndocker failed: line 9 (exit status 100)\\n' >reports/00000004.report
            timeout 60 bash report-sender.sh "$PWD/reports" >sender.log 2>&1
            ls reports
            """
        let result = try run("/bin/bash", ["-c", driver])
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(!result.stdout.contains(".report"), "the queue is not empty: \(result.stdout)")
        let requests = try readText(directory.file("requests.jsonl")).split(separator: "\n").map { try JSONValue.parse(String($0)) }
        let sent = requests.map { [$0["body"]?["step"]?.stringValue ?? "-", $0["body"]?["state"]?.stringValue ?? "-"] }
        // 500 and 429 are retried; the 400 drops `packages done`, and the next report goes on.
        #expect(sent == [
            ["packages", "running"], ["packages", "running"], ["packages", "done"], ["docker", "running"], ["docker", "running"],
            ["docker", "failed"],
        ])
        for request in requests {
            #expect(request["path"]?.stringValue == "/api/nodes/0123abcd/setup")
            #expect(request["authorization"]?.stringValue == "Bearer \(Self.token)")
            #expect(request["type"]?.stringValue == "application/json")
        }
        #expect(requests.first?["body"] == ["step": "packages", "state": "running"])
        #expect(requests.last?["body"] == ["step": "docker", "state": "failed", "message": "docker failed: line 9 (exit status 100)"])
        let senderLog = try readText(directory.file("sender.log"))
        #expect(senderLog.contains("dropped 00000002.report (packages/done): HTTP 400"))
        #expect(!senderLog.contains(Self.token))
    }

    @Test func onlyOneSenderRunsAtATime() throws {
        let directory = try TemporaryDirectory()
        try writeFile(directory.file("report-sender.sh"), NodeUserData.reportSender + "\n", mode: 0o700)
        let driver = """
            set -euo pipefail
            cd \(UserDataRenderer.shellQuote(directory.path))
            mkdir -m 0700 reports
            echo http://127.0.0.1:9/unused >reports/url
            exec 9>reports/sender.lock
            flock -n 9
            # Another sender holds the lock: this one leaves at once, sending nothing.
            timeout 10 bash report-sender.sh "$PWD/reports"
            echo "second sender left: $?"
            """
        let result = try run("/bin/bash", ["-c", driver])
        #expect(result.stdout == "second sender left: 0\n", "\(result.stderr)")
    }
}
