import Foundation
import Protocol
import Testing

/// Finding 12: `timmyctl`'s token file. Another local user must not be able to
/// read or plant a buyer's access token: no shared `/tmp` fallback, no folder
/// that someone else owns or may write, no predictable temporary file, and a
/// way to pass a token that `ps` does not show.
@Suite(.serialized, .enabled(if: DaemonHarness.canRunAsNobody, "needs root to act as a second user (nobody)"))
struct TokenFileTests {
    func jobCount(_ daemon: DaemonHarness) throws -> Int {
        try daemon.call("admin.jobs.list")["jobs"]?.arrayValue?.count ?? -1
    }

    /// The attack: `nobody` owns a world-writable folder the buyer's token file is in,
    /// and has planted the old predictable temporary names (`tokens.tmp.<pid>`, files it
    /// can read) and a link at the token path. timmyctl must refuse before buying.
    @Test func worldWritableTokenFolderIsRefusedAndNothingLeaks() throws {
        let daemon = try DaemonHarness().start()
        let shared = daemon.folder + "/shared"
        try FileManager.default.createDirectory(atPath: shared, withIntermediateDirectories: true)
        chown(shared, DaemonHarness.nobody, DaemonHarness.nobody)
        chmod(shared, 0o777)
        let bait = shared + "/bait"
        #expect(FileManager.default.createFile(atPath: bait, contents: nil, attributes: [.posixPermissions: 0o666]))
        chown(bait, DaemonHarness.nobody, DaemonHarness.nobody)
        symlink(bait, shared + "/tokens")
        // The next few hundred pids' temporary names, as the attacker would plant them.
        let lastPID = Int((try? String(contentsOfFile: "/proc/sys/kernel/ns_last_pid", encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? "") ?? 1
        var planted: [String] = []
        for pid in lastPID..<(lastPID + 500) {
            let path = shared + "/tokens.tmp.\(pid)"
            #expect(FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o666]))
            chown(path, DaemonHarness.nobody, DaemonHarness.nobody)
            planted.append(path)
        }

        let result = try daemon.ctl("new", "--json", environment: ["TIMMY_TOKEN_FILE": shared + "/tokens"])
        #expect(result.status == 5, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("refusing to keep") && result.stderr.contains(shared), "\(result.stderr)")
        #expect(try jobCount(daemon) == 0, "nothing was bought")
        for path in planted + [bait] {
            #expect((try? Data(contentsOf: URL(fileURLWithPath: path)))?.isEmpty == true, "\(path) got written")
        }
        #expect(!result.stdout.contains("tat_"), "no token printed either")
    }

    @Test func tokenFolderOwnedBySomeoneElseIsRefused() throws {
        let daemon = try DaemonHarness().start()
        let theirs = daemon.folder + "/theirs"
        try FileManager.default.createDirectory(atPath: theirs, withIntermediateDirectories: true)
        chown(theirs, DaemonHarness.nobody, DaemonHarness.nobody)
        chmod(theirs, 0o700)
        let result = try daemon.ctl("new", environment: ["TIMMY_TOKEN_FILE": theirs + "/tokens"])
        #expect(result.status == 5, "\(result.stdout) \(result.stderr)")
        #expect(result.stderr.contains("must be yours"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: theirs + "/tokens"))
        #expect(try jobCount(daemon) == 0)
    }

    /// Without HOME (and no TIMMY_TOKEN_FILE) there is no private place: an error,
    /// never a shared folder such as /tmp.
    @Test func withoutHomeTokensAreNeitherStoredNorLookedUpAnywhere() throws {
        let daemon = try DaemonHarness(environment: ["TIMMY_SOCKET_GROUP": "nogroup"]).start()
        let binary = daemon.folder + "/timmyctl"
        _ = try daemon.ctlAsNobody(["--version"])  // copies the binary where nobody can run it
        func withoutHome(_ arguments: [String]) throws -> CommandResult {
            try runProgram(
                "/usr/bin/env",
                ["-i", "PATH=/usr/bin:/bin", "TIMMY_SOCKET=\(daemon.socketPath)", "/usr/bin/setpriv",
                 "--reuid=\(DaemonHarness.nobody)", "--regid=\(DaemonHarness.nobody)", "--clear-groups", binary] + arguments)
        }
        let bought = try withoutHome(["new"])
        #expect(bought.status == 5, "\(bought.stdout) \(bought.stderr)")
        #expect(bought.stderr.contains("HOME is not set") && bought.stderr.contains("TIMMY_TOKEN_FILE"), "\(bought.stderr)")
        #expect(try jobCount(daemon) == 0)

        let job = try daemon.create()
        let status = try withoutHome(["status", job.jobId])
        #expect(status.status == 5, "\(status.stderr)")
        #expect(status.stderr.contains("HOME is not set"))
        // An explicit token still works without HOME.
        let explicit = try withoutHome(["status", job.jobId, "--token", job.accessToken])
        #expect(explicit.status == 0, "\(explicit.stderr)")
    }

    @Test func tokenFromAPrivateFileOrStandardInputKeepsItOutOfTheCommandLine() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.create()
        let tokenFile = daemon.folder + "/token"
        #expect(
            FileManager.default.createFile(
                atPath: tokenFile, contents: Data((job.accessToken + "\n").utf8), attributes: [.posixPermissions: 0o600]))

        let fromFile = try daemon.ctl("status", job.jobId, "--token-file", tokenFile, "--json")
        #expect(fromFile.status == 0, "\(fromFile.stderr)")
        #expect(try JSONValue.parse(fromFile.stdout)["state"] == "awaiting_payment")

        let fromStdin = try runProgram(
            Binaries.timmyctl, ["status", job.jobId, "--token-stdin"],
            environment: ["TIMMY_SOCKET": daemon.socketPath, "TIMMY_TOKEN_FILE": daemon.folder + "/tokens"],
            stdin: job.accessToken + "\n")
        #expect(fromStdin.status == 0, "\(fromStdin.stderr)")
        let dash = try runProgram(
            Binaries.timmyctl, ["cancel", job.jobId, "--token", "-", "--json"],
            environment: ["TIMMY_SOCKET": daemon.socketPath, "TIMMY_TOKEN_FILE": daemon.folder + "/tokens"],
            stdin: job.accessToken)
        #expect(dash.status == 0, "\(dash.stderr)")
        #expect(try JSONValue.parse(dash.stdout)["state"] == "cancelled")

        // A token file others can read is refused like a readable key; nothing is sent.
        chmod(tokenFile, 0o644)
        let readable = try daemon.ctl("status", job.jobId, "--token-file", tokenFile)
        #expect(readable.status == 5)
        #expect(readable.stderr.contains("644") && readable.stderr.contains("chmod 600"), "\(readable.stderr)")
        #expect(!readable.stderr.contains(job.accessToken))

        let twoWays = try daemon.ctl("status", job.jobId, "--token-file", tokenFile, "--token-stdin")
        #expect(twoWays.status == 64, "\(twoWays.stderr)")
    }

    @Test func savedTokenFileIsPrivateAndReusable() throws {
        let daemon = try DaemonHarness(environment: ["TIMMY_SOCKET_GROUP": "nogroup"]).start()
        let bought = try daemon.ctlAsNobody(["new", "--json"])
        #expect(bought.status == 0, "\(bought.stderr)")
        let jobID = try #require(try JSONValue.parse(bought.stdout)["jobId"]?.stringValue)
        #expect(try daemon.ctlAsNobody(["status", jobID]).status == 0)
        let folder = daemon.nobodyHome() + "/.local/state/timmyctl"
        let names = try FileManager.default.contentsOfDirectory(atPath: folder)
        #expect(names == ["tokens"], "no temporary file left behind: \(names)")
        let attributes = try FileManager.default.attributesOfItem(atPath: folder + "/tokens")
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.ownerAccountID] as? Int) == Int(DaemonHarness.nobody))
    }
}
