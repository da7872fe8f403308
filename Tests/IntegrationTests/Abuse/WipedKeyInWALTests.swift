import Foundation
import Protocol
import Testing

/// Finding: after a key was wiped, copies of the sealed private key stayed in the
/// database's write-ahead log (and could be read back from the state folder). Every
/// wipe now ends with a TRUNCATE checkpoint, `secure_delete` on.
extension DaemonHarness {
    /// Whether the daemon's OpenRPC document lists `method`.
    func hasMethod(_ method: String) -> Bool {
        let methods = (try? call("rpc.discover"))?["methods"]?.arrayValue ?? []
        return methods.contains { $0["name"]?.stringValue == method }
    }
}

@Suite(.serialized)
struct WipedKeyInWALTests {
    /// Runs SQL on the daemon's database with Python's sqlite3 (a separate library and
    /// connection, closed before the daemon acts again), and returns the first column as text.
    static func sqlite(_ daemon: DaemonHarness, _ sql: String, readOnly: Bool = true) throws -> String {
        let script = """
            import sqlite3, sys
            mode = "ro" if sys.argv[2] == "ro" else "rw"
            db = sqlite3.connect("file:" + sys.argv[1] + "?mode=" + mode, uri=True)
            rows = db.execute(sys.argv[3]).fetchall()
            db.commit()
            db.close()
            print(rows[0][0] if rows and rows[0][0] is not None else "")
            """
        let result = try runProgram(
            "/usr/bin/python3", ["-c", script, daemon.stateDirectory + "/timmyd.db", readOnly ? "ro" : "rw", sql])
        guard result.status == 0 else { throw HarnessError("sqlite: \(result.stderr)") }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func sealedKey(_ daemon: DaemonHarness, _ jobID: String) throws -> [UInt8] {
        let hex = try sqlite(daemon, "SELECT hex(ssh_private_key_sealed) FROM jobs WHERE id = '\(jobID)'")
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(UInt8(hex[index..<next], radix: 16)!)
            index = next
        }
        return bytes
    }

    /// Every file of the database (main, WAL, shared memory) that holds `needle`, and
    /// whether any holds a 32-byte piece of it.
    static func filesHolding(_ needle: [UInt8], in daemon: DaemonHarness) -> [String] {
        let piece = Array(needle[16..<48])
        return ["timmyd.db", "timmyd.db-wal", "timmyd.db-shm"].filter { name in
            guard let data = FileManager.default.contents(atPath: daemon.stateDirectory + "/" + name) else { return false }
            return data.range(of: Data(piece)) != nil
        }
    }

    static func readyJob(_ daemon: DaemonHarness) throws -> CreateJobResult {
        let job = try daemon.create()
        _ = try daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        try daemon.waitFor(job, state: .ready)
        return job
    }

    @Test func claimedKeyLeavesNoCopyInTheDatabaseFiles() throws {
        let daemon = try DaemonHarness(environment: ["STUB_PROVISION_DELAY_MS": "0"]).start()
        let job = try Self.readyJob(daemon)
        let sealed = try Self.sealedKey(daemon, job.jobId)
        try #require(sealed.count >= 64)
        // The key is there before the wipe: the scan can find it.
        #expect(!Self.filesHolding(sealed, in: daemon).isEmpty)

        #expect(daemon.hasMethod("bootstrap.claimKey"))  // the probe below reads the real document
        let claimed = try daemon.call("bootstrap.claimKey", daemon.credentials(job))
        // Where the key is held until the buyer confirms receipt, confirming is the claim's wipe.
        if let fingerprint = claimed["sshKeyFingerprint"], daemon.hasMethod("bootstrap.confirmKey") {
            _ = try daemon.call(
                "bootstrap.confirmKey",
                ["jobId": .string(job.jobId), "accessToken": .string(job.accessToken), "sshKeyFingerprint": fingerprint])
        }
        #expect(Self.filesHolding(sealed, in: daemon) == [])
        let walSize = (try? FileManager.default.attributesOfItem(atPath: daemon.stateDirectory + "/timmyd.db-wal")[.size] as? Int) ?? 0
        #expect(walSize == 0)
    }

    @Test func keyWipedByRetentionLeavesNoCopyInTheDatabaseFiles() throws {
        let daemon = try DaemonHarness(environment: ["STUB_PROVISION_DELAY_MS": "0", "KEY_RETENTION_DAYS": "1"]).start()
        let job = try Self.readyJob(daemon)
        let sealed = try Self.sealedKey(daemon, job.jobId)
        try #require(sealed.count >= 64)
        #expect(daemon.stop() == 0)
        // Two days ago: the retention sweep at start-up wipes it.
        _ = try Self.sqlite(
            daemon, "UPDATE jobs SET ready_at = ready_at - 172800000 WHERE id = '\(job.jobId)' RETURNING id", readOnly: false)
        #expect(!Self.filesHolding(sealed, in: daemon).isEmpty)
        try daemon.start()
        let deadline = Date().addingTimeInterval(10)
        while try daemon.call("admin.jobs.get", ["jobId": .string(job.jobId)])["keyHeld"] != false, Date() < deadline {
            usleep(50_000)
        }
        #expect(try daemon.call("admin.jobs.get", ["jobId": .string(job.jobId)])["keyHeld"] == false)
        #expect(Self.filesHolding(sealed, in: daemon) == [])
    }
}
