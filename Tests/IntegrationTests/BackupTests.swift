import Foundation
import Protocol
import Testing

/// `timmyctl backup FILE` / `admin.backup`: an online, checked copy of the live database
/// that reaches the admin as a file of their own, and restores into a working daemon.
@Suite(.serialized)
struct BackupTests {
    /// `PRAGMA integrity_check` and the job count of a copy, read with Python's sqlite3
    /// (the tests need no SQLite binding of their own), opened read-only.
    static func inspect(_ path: String) throws -> (integrity: String, jobs: Int) {
        let script = """
            import sqlite3, sys
            db = sqlite3.connect("file:" + sys.argv[1] + "?mode=ro", uri=True)
            print(db.execute("PRAGMA integrity_check").fetchone()[0])
            print(db.execute("SELECT COUNT(*) FROM jobs").fetchone()[0])
            """
        let result = try runProgram("/usr/bin/python3", ["-c", script, path])
        let lines = result.stdout.split(separator: "\n").map(String.init)
        guard result.status == 0, lines.count == 2, let jobs = Int(lines[1]) else {
            throw HarnessError("cannot inspect \(path): \(result.stdout) \(result.stderr)")
        }
        return (lines[0], jobs)
    }

    static func owner(of path: String) -> (uid: UInt32, mode: UInt32)? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return (info.st_uid, UInt32(info.st_mode & 0o7777))
    }

    @Test func rootGetsACheckedCopyAndTheMasterKeyReminder() throws {
        let daemon = try DaemonHarness().start()
        _ = try daemon.create()
        _ = try daemon.create()
        let path = daemon.folder + "/copy.db"
        let result = try daemon.ctl("backup", path, "--json")
        #expect(result.status == 0, "\(result.stderr)")
        let reply = try JSONValue.parse(result.stdout)
        let summary = try BackupSummary(json: reply)
        #expect(reply["path"]?.stringValue == path)
        #expect(summary.jobs == 2)
        #expect(summary.integrityCheck == "ok")
        #expect(summary.masterKeyReminder.contains("master key"))

        let copy = try #require(FileManager.default.contents(atPath: path))
        #expect(Int64(copy.count) == summary.bytes)
        #expect(BackupChunk.sha256Hex(Array(copy)) == summary.sha256)
        #expect(Self.owner(of: path)?.mode == 0o600)
        let inspected = try Self.inspect(path)
        #expect(inspected.integrity == "ok")
        #expect(inspected.jobs == 2)

        // Text output names the file and reminds of the master key, without revealing it.
        let text = try daemon.ctl("backup", daemon.folder + "/copy2.db")
        #expect(text.status == 0, "\(text.stderr)")
        #expect(text.stdout.contains("master key"))
        let masterKey = try #require(FileManager.default.contents(atPath: daemon.stateDirectory + "/master.key"))
        let hex = masterKey.map { String(format: "%02x", $0) }.joined()
        for output in [result.stdout, result.stderr, text.stdout, text.stderr, daemon.log_()] {
            #expect(!output.lowercased().contains(hex))
            #expect(!output.contains(masterKey.base64EncodedString()))
        }
        // The audit line names the caller.
        #expect(daemon.log_().contains("backup taken"))
        #expect(daemon.log_().contains("uid=0"))
    }

    @Test func anExistingFileOrASymlinkIsRefusedAndNotOverwritten() throws {
        let daemon = try DaemonHarness().start()
        let existing = daemon.folder + "/existing.db"
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: existing))
        let refused = try daemon.ctl("backup", existing)
        #expect(refused.status == 5, "\(refused.stderr)")
        #expect(refused.stderr.contains("must not exist"))
        #expect(try String(contentsOfFile: existing, encoding: .utf8) == "keep me")

        // A symlink to a file (or to nowhere) is refused too: nothing is written through it.
        let victim = daemon.folder + "/victim"
        try Data("victim".utf8).write(to: URL(fileURLWithPath: victim))
        let link = daemon.folder + "/link.db"
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: victim)
        #expect(try daemon.ctl("backup", link).status == 5)
        #expect(try String(contentsOfFile: victim, encoding: .utf8) == "victim")
        let dangling = daemon.folder + "/dangling.db"
        try FileManager.default.createSymbolicLink(atPath: dangling, withDestinationPath: daemon.folder + "/nowhere")
        #expect(try daemon.ctl("backup", dangling).status == 5)
        #expect(!FileManager.default.fileExists(atPath: daemon.folder + "/nowhere"))
        // The daemon was never asked.
        #expect(!daemon.log_().contains("backup taken"))
    }

    @Test(.enabled(if: DaemonHarness.canRunAsNobody, "needs root and setpriv to run a client as nobody"))
    func anAdminGroupMemberGetsTheCopyAsTheirOwnFile() throws {
        let daemon = try DaemonHarness(environment: ["TIMMY_SOCKET_GROUP": "nogroup", "TIMMY_ADMIN_GROUP": "nogroup"]).start()
        _ = try daemon.create()
        let path = daemon.nobodyHome() + "/copy.db"
        let result = try daemon.ctlAsNobody(["backup", path])
        #expect(result.status == 0, "\(result.stderr)")
        let owner = try #require(Self.owner(of: path))
        #expect(owner.uid == DaemonHarness.nobody)
        #expect(owner.mode == 0o600)
        #expect(try Self.inspect(path).jobs == 1)
        #expect(daemon.log_().contains("uid=\(DaemonHarness.nobody)"))

        // A folder the admin cannot write is refused by the kernel, as the admin: root's daemon writes nothing there.
        let rootOnly = daemon.folder + "/root-only"
        try FileManager.default.createDirectory(atPath: rootOnly, withIntermediateDirectories: false)
        chmod(rootOnly, 0o755)
        let refused = try daemon.ctlAsNobody(["backup", rootOnly + "/copy.db"])
        #expect(refused.status == 5, "\(refused.stderr)")
        #expect(!FileManager.default.fileExists(atPath: rootOnly + "/copy.db"))
    }

    @Test(.enabled(if: DaemonHarness.canRunAsNobody, "needs root and setpriv to run a client as nobody"))
    func aClientIsRefusedAndKeepsNoFile() throws {
        let daemon = try DaemonHarness(environment: ["TIMMY_SOCKET_GROUP": "nogroup"]).start()
        let path = daemon.nobodyHome() + "/copy.db"
        let result = try daemon.ctlAsNobody(["backup", path])
        #expect(result.status == 1)
        #expect(result.stderr.contains("[forbidden]"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(!daemon.log_().contains("backup taken"))
    }

    @Test func aCopyTakenMidProvisioningRestoresIntoANewStateFolderAndTheJobFinishes() throws {
        let daemon = try DaemonHarness(environment: ["STUB_PROVISION_DELAY_MS": "60000"]).start()
        let job = try daemon.create()
        _ = try daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        #expect(try daemon.status(job).state == .provisioning)
        let path = daemon.folder + "/copy.db"
        let backup = try daemon.ctl("backup", path)
        #expect(backup.status == 0, "\(backup.stderr)")
        _ = daemon.stop()

        // Restore: a new, empty state folder with the copy as its database and the master key beside it.
        let restored = try DaemonHarness(environment: ["STUB_PROVISION_DELAY_MS": "300"])
        #expect(mkdir(restored.stateDirectory, 0o700) == 0)
        try FileManager.default.copyItem(atPath: path, toPath: restored.stateDirectory + "/timmyd.db")
        try FileManager.default.copyItem(
            atPath: daemon.stateDirectory + "/master.key", toPath: restored.stateDirectory + "/master.key")
        chmod(restored.stateDirectory + "/timmyd.db", 0o600)
        chmod(restored.stateDirectory + "/master.key", 0o600)
        try restored.start()

        // The buyer's token still works, the job resumes and ends ready, and its key opens under the copied master key.
        let ready = try restored.waitFor(job, state: .ready)
        let key = try restored.claimKey(job)
        #expect(key.sshPublicKey == ready.node?.sshPublicKey)
        #expect(restored.log_().contains("resuming provisioning"))
    }

    @Test func purchasesAndAdminCallsAreServedWhileABackupRuns() throws {
        // One page per step and a pause after each: the copy takes seconds, not microseconds.
        let daemon = try DaemonHarness(environment: ["BACKUP_PAGES_PER_STEP": "1", "BACKUP_STEP_PAUSE_MS": "100"]).start()
        for _ in 0..<3 { _ = try daemon.create() }
        let path = daemon.folder + "/copy.db"
        let backupStarted = Date()
        // timmyctl runs in the background (its output to a file) while this thread probes the daemon.
        let output = daemon.folder + "/backup.json"
        let backup = Process()
        backup.executableURL = URL(fileURLWithPath: "/bin/sh")
        backup.arguments = ["-c", "exec \"$0\" backup \"$1\" --json >\"$2\"", Binaries.timmyctl, path, output]
        backup.environment = ["TIMMY_SOCKET": daemon.socketPath, "PATH": "/usr/bin:/bin"]
        try backup.run()
        usleep(300_000)
        #expect(backup.isRunning, "the backup ended before the probes")

        daemon.expectAdminStillServed()
        let buyStarted = Date()
        _ = try daemon.create()
        let buyTime = Date().timeIntervalSince(buyStarted)
        let boughtAt = Date()
        daemon.expectAdminStillServed()

        backup.waitUntilExit()
        let backupEnded = Date()
        #expect(backup.terminationStatus == 0)
        #expect(buyTime < 0.5, "bootstrap.create took \(Int(buyTime * 1000)) ms during the backup")
        // The probes really ran while the copy was being made.
        #expect(backupEnded.timeIntervalSince(boughtAt) > 0.5, "the backup ended too soon to overlap")
        #expect(backupEnded.timeIntervalSince(backupStarted) > 1)
        // The purchase made mid-copy is in it: steps run on the daemon's own connection, so writes between them are carried over.
        let summary = try BackupSummary(json: try JSONValue.parse(try String(contentsOfFile: output, encoding: .utf8)))
        #expect(summary.jobs == 4)
        let inspected = try Self.inspect(path)
        #expect(inspected.integrity == "ok")
        #expect(inspected.jobs == 4)
    }

    @Test func aSecondBackupWhileOneRunsIsRefusedAndKeepsNoFile() throws {
        let daemon = try DaemonHarness(environment: ["BACKUP_PAGES_PER_STEP": "1", "BACKUP_STEP_PAUSE_MS": "100"]).start()
        let first = Process()
        first.executableURL = URL(fileURLWithPath: Binaries.timmyctl)
        first.arguments = ["backup", daemon.folder + "/first.db"]
        first.environment = ["TIMMY_SOCKET": daemon.socketPath]
        first.standardOutput = FileHandle.nullDevice
        try first.run()
        usleep(300_000)
        let second = try daemon.ctl("backup", daemon.folder + "/second.db")
        first.waitUntilExit()
        #expect(second.status == 1)
        #expect(second.stderr.contains("[overloaded]"), "\(second.stderr)")
        #expect(!FileManager.default.fileExists(atPath: daemon.folder + "/second.db"))
        #expect(first.terminationStatus == 0)
        // Once the first has finished, the next one runs.
        #expect(try daemon.ctl("backup", daemon.folder + "/third.db").status == 0)
    }

    @Test func aCopyLeftByACrashMidBackupIsRemovedAtStart() throws {
        let daemon = try DaemonHarness()
        #expect(mkdir(daemon.stateDirectory, 0o700) == 0)
        let leftover = daemon.stateDirectory + "/backup-in-progress.db"
        try Data("an old copy".utf8).write(to: URL(fileURLWithPath: leftover))
        try daemon.start()
        #expect(!FileManager.default.fileExists(atPath: leftover))
        // And a backup leaves nothing behind in the state folder.
        #expect(try daemon.ctl("backup", daemon.folder + "/copy.db").status == 0)
        let names = try FileManager.default.contentsOfDirectory(atPath: daemon.stateDirectory)
        #expect(!names.contains { $0.hasPrefix("backup") }, "\(names)")
    }

    @Test func aDaemonThatDiesMidBackupLeavesNoFileBehind() throws {
        let daemon = try DaemonHarness(environment: ["BACKUP_PAGES_PER_STEP": "1", "BACKUP_STEP_PAUSE_MS": "100"]).start()
        let path = daemon.folder + "/copy.db"
        let backup = Process()
        backup.executableURL = URL(fileURLWithPath: Binaries.timmyctl)
        backup.arguments = ["backup", path]
        backup.environment = ["TIMMY_SOCKET": daemon.socketPath]
        backup.standardError = FileHandle.nullDevice
        try backup.run()
        usleep(300_000)
        #expect(FileManager.default.fileExists(atPath: path), "timmyctl creates the file before asking")
        daemon.kill()
        backup.waitUntilExit()
        #expect(backup.terminationStatus == 69)
        #expect(!FileManager.default.fileExists(atPath: path))
    }
}
