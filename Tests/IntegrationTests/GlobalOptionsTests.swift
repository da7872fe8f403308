import Foundation
import Protocol
import Testing

/// `timmyctl`'s global options (`--socket`, `--json`) work before the subcommand,
/// after it, or split around it, as with `tailscale` and `bitcoin-cli`; an unknown option
/// is refused with its name, wherever it stands.
@Suite struct GlobalOptionsTests {
    /// `timmyctl` with no TIMMY_SOCKET: only the option can point it at the daemon.
    static func ctl(_ daemon: DaemonHarness, _ arguments: [String]) throws -> CommandResult {
        try runProgram(Binaries.timmyctl, arguments, environment: ["TIMMY_TOKEN_FILE": daemon.folder + "/tokens"])
    }

    @Test func socketAndJSONWorkBeforeAfterAndAroundTheSubcommand() throws {
        let daemon = try DaemonHarness().start()
        let socket = daemon.socketPath
        for arguments in [
            ["--socket", socket, "--json", "info"],
            ["info", "--socket", socket, "--json"],
            ["--json", "info", "--socket", socket],
            ["--socket=\(socket)", "info", "--json"],
        ] {
            let result = try Self.ctl(daemon, arguments)
            #expect(result.status == 0, "\(arguments): \(result.stderr)")
            let info = try? JSONValue.parse(result.stdout)
            #expect(info?["version"]?.stringValue == TimmyVersion.string, "\(arguments): \(result.stdout)")
        }
        // Without --json, text: the flag really was read in each position.
        let text = try Self.ctl(daemon, ["--socket", socket, "info"])
        #expect(text.status == 0 && text.stdout.hasPrefix("timmyd "), "\(text.stdout) \(text.stderr)")
    }

    @Test func globalOptionsBeforeSubcommandsWithTheirOwnArgumentsAndOptions() throws {
        let daemon = try DaemonHarness().start()
        let socket = daemon.socketPath
        let job = try daemon.create()
        try daemon.simulatePayment(job.jobId)
        let tokenFile = daemon.folder + "/token"
        #expect(FileManager.default.createFile(
            atPath: tokenFile, contents: Data((job.accessToken + "\n").utf8), attributes: [.posixPermissions: 0o600]))

        let before = try Self.ctl(daemon, ["--socket", socket, "--json", "status", job.jobId, "--token-file", tokenFile])
        #expect(before.status == 0, "\(before.stderr)")
        #expect((try? JSONValue.parse(before.stdout))?["jobId"]?.stringValue == job.jobId)

        let after = try Self.ctl(daemon, ["status", "--token-file", tokenFile, job.jobId, "--json", "--socket", socket])
        #expect(after.status == 0, "\(after.stderr)")
        #expect((try? JSONValue.parse(after.stdout))?["jobId"]?.stringValue == job.jobId)

        let jobs = try Self.ctl(daemon, ["--json", "jobs", "--limit", "5", "--socket", socket])
        #expect(jobs.status == 0, "\(jobs.stderr)")
        #expect((try? JSONValue.parse(jobs.stdout))?["jobs"]?.arrayValue?.count == 1)

        let call = try Self.ctl(daemon, ["--socket", socket, "call", "admin.jobs.get", #"{"jobId":"\#(job.jobId)"}"#])
        #expect(call.status == 0, "\(call.stderr)")
        #expect((try? JSONValue.parse(call.stdout))?["jobId"]?.stringValue == job.jobId)
    }

    @Test func anUnknownOptionIsRefusedByNameInEitherPosition() throws {
        let daemon = try DaemonHarness().start()
        for arguments in [["--sockt", daemon.socketPath, "info"], ["info", "--sockt", daemon.socketPath], ["--bogus", "info"]] {
            let result = try Self.ctl(daemon, arguments)
            #expect(result.status == 64, "\(arguments) exited \(result.status)")
            #expect(result.stdout.isEmpty)
            let option = arguments.first { $0.hasPrefix("--") }!
            #expect(result.stderr.contains("Unknown option '\(option)'"), "\(arguments): \(result.stderr)")
        }
        // A subcommand's own option is not global: before the subcommand it is unknown.
        let misplaced = try Self.ctl(daemon, ["--limit", "5", "jobs", "--socket", daemon.socketPath])
        #expect(misplaced.status == 64)
        #expect(misplaced.stderr.contains("Unknown option '--limit'"), "\(misplaced.stderr)")
        // A global option's missing value is named too.
        let missing = try Self.ctl(daemon, ["info", "--socket"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("--socket"), "\(missing.stderr)")
    }
}
