import Foundation
import Protocol
import Testing

/// Finding: the payment watcher loaded every expired and cancelled job every tenth
/// round, forever, so an idle daemon's CPU grew with its history. It now asks the
/// database (through an index) only for jobs inside the late-payment grace window.
@Suite(.serialized)
struct OldJobsWatcherCostTests {
    /// The daemon's CPU time (user + system) in seconds, from /proc.
    static func cpuSeconds(_ daemon: DaemonHarness) -> Double? {
        guard let pid = daemon.process?.processIdentifier,
            let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let afterName = stat.range(of: ") ")
        else { return nil }
        // Fields after the command name start at field 3; utime and stime are fields 14 and 15.
        let fields = stat[afterName.upperBound...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    @Test func fiftyThousandOldExpiredJobsCostAnIdleDaemonNothing() throws {
        // The fastest round the configuration allows, so each round's cost shows.
        let daemon = try DaemonHarness(environment: ["PAYMENT_POLL_INTERVAL_MS": "10"]).start()
        #expect(daemon.stop() == 0)
        // 50,000 jobs whose invoices expired 60 days ago: far outside the 1-day grace window.
        let seed = """
            import sqlite3, sys, time, uuid
            db = sqlite3.connect(sys.argv[1])
            old = int(time.time() * 1000) - 60 * 86400 * 1000
            rows = []
            for n in range(50000):
                job = str(uuid.uuid4())
                rows.append((job, job.replace("-", "") * 2, old))
            db.executemany(
                "INSERT INTO jobs (id, state, region, size, image, volume_size_gb, amount_sats, payment_hash, "
                "payment_request, invoice_expires_at, access_token_hash, ssh_key_algorithm, created_at, updated_at) "
                "VALUES (?, 'expired', 'nyc3', 's', 'i', 0, 50000, ?, 'lnstub', ?, 'x', 'ed25519', 0, 0)", rows)
            db.commit()
            db.close()
            """
        let seeded = try runProgram("/usr/bin/python3", ["-c", seed, daemon.stateDirectory + "/timmyd.db"])
        try #require(seeded.status == 0, "\(seeded.stderr)")
        try daemon.start()
        let job = try daemon.create()

        usleep(500_000)  // past start-up
        let before = try #require(Self.cpuSeconds(daemon))
        let window = 3.0
        usleep(UInt32(window * 1_000_000))
        let used = try #require(Self.cpuSeconds(daemon)) - before
        // Loading 50,000 rows ten times a second kept a core busy (20,000 rows: 1.1 s of CPU in
        // 3 s on a loaded machine); the index search costs about 0.1 s.
        #expect(used < window * 0.25, "timmyd used \(used) s of CPU in \(window) s idle")

        // Open invoices are still watched every round.
        _ = try daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        try daemon.waitFor(job, state: .ready)
        daemon.expectAdminStillServed()
        daemon.expectResidentAtMost(256)
    }
}
