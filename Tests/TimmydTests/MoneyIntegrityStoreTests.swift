import Foundation
import Protocol
import Testing

@testable import timmyd

/// The store's side of money and state integrity: the watcher's query stays bounded
/// by the grace window, a refund invoice belongs to one job, a wipe leaves no copy.
@Suite struct MoneyIntegrityStoreTests {
    let fixture: MigratedStore
    var directory: TemporaryDirectory { fixture.directory }
    var database: SQLiteDatabase { fixture.database }
    var store: JobStore { fixture.store }

    init() throws { fixture = try MigratedStore(fileName: "timmyd.db") }

    /// Inserts `count` jobs in `state` whose invoices expired at `expiresAt`, in one transaction.
    func insertJobs(_ count: Int, state: JobState, expiresAt: Timestamp) throws -> [String] {
        try database.transaction { tx in
            try (0..<count).map { _ in
                let id = JobIdentifier.make()
                try tx.execute(
                    """
                    INSERT INTO jobs (id, state, region, size, image, volume_size_gb, amount_sats, payment_hash,
                        payment_request, invoice_expires_at, access_token_hash, ssh_key_algorithm, created_at, updated_at)
                    VALUES (?, ?, 'nyc3', 's', 'i', 0, 1000, ?, 'lnstub', ?, 'x', 'ed25519', ?, ?)
                    """,
                    [
                        .text(id), .text(state.rawValue), .text(SHA256Digest.hex(Array(id.utf8))),
                        .integer(expiresAt.milliseconds), .integer(expiresAt.milliseconds - 3_600_000),
                        .integer(expiresAt.milliseconds),
                    ])
                return id
            }
        }
    }

    // MARK: The watcher's query

    @Test func watcherQueryReturnsNoJobOutsideTheGraceWindow() throws {
        let now = Timestamp.now()
        let graceStart = now.adding(seconds: -86_400)
        _ = try insertJobs(3000, state: .expired, expiresAt: now.adding(seconds: -30 * 86_400))
        _ = try insertJobs(1000, state: .cancelled, expiresAt: now.adding(seconds: -2 * 86_400))
        let lateExpired = try insertJobs(2, state: .expired, expiresAt: now.adding(seconds: -600))
        let lateCancelled = try insertJobs(1, state: .cancelled, expiresAt: now.adding(seconds: -60))
        let open = try insertJobs(2, state: .awaitingPayment, expiresAt: now.adding(seconds: 3600))
        _ = try insertJobs(5, state: .failed, expiresAt: now.adding(seconds: -60))

        let late = try store.jobsWatchedForPayment(lateSince: graceStart)
        #expect(Set(late.map(\.id)) == Set(open + lateExpired + lateCancelled))
        let openOnly = try store.jobsWatchedForPayment(lateSince: nil)
        #expect(Set(openOnly.map(\.id)) == Set(open))
    }

    @Test func watcherQueryIsServedByIndexes() throws {
        _ = try insertJobs(500, state: .expired, expiresAt: Timestamp(milliseconds: 1_000))
        try database.execute("ANALYZE")
        let plan = try database.query(
            "EXPLAIN QUERY PLAN " + JobStore.watchedForPaymentSQL,
            [.text("awaiting_payment"), .text("expired"), .text("cancelled"), .integer(0)]
        ).compactMap { $0.string("detail") }
        let text = plan.joined(separator: "\n")
        #expect(text.contains("USING INDEX jobs_by_state_invoice_expiry (state=? AND invoice_expires_at>?)"), "\(text)")
        #expect(!plan.contains { $0.hasPrefix("SCAN") }, "\(text)")
    }

    // MARK: Refund invoices

    @Test func oneRefundPaymentHashBelongsToOneJobAndIsFreedWhenTheRefundFails() throws {
        let ids = try insertJobs(2, state: .failed, expiresAt: Timestamp.now())
        let hash = String(repeating: "ab", count: 32)
        let started = try store.startRefund(of: ids[0], bolt11: "lnbc1a", paymentHash: hash, amountSats: 10, actor: nil)
        #expect(started != nil)
        #expect(try store.jobRefunding(toPaymentHash: hash.uppercased()) == ids[0])
        let before = try fixture.snapshot()
        #expect(throws: StoreConflict.refundInvoiceInUse) {
            _ = try store.startRefund(of: ids[1], bolt11: "lnbc1a", paymentHash: hash.uppercased(), amountSats: 10, actor: nil)
        }
        #expect(try fixture.snapshot() == before, "the refused refund changed nothing")
        #expect(try store.job(id: ids[1])?.state == .failed)
        // A refund that failed for certain releases its invoice.
        _ = try #require(try store.reopenRefund(of: ids[0], reason: "test"))
        #expect(try store.jobRefunding(toPaymentHash: hash) == nil)
    }

    @Test func upgradingADatabaseWhereTwoJobsSharedARefundInvoiceFlagsTheLaterOne() throws {
        let directory = try TemporaryDirectory()
        let database = try SQLiteDatabase(path: directory.file("old.db"))
        try Migrator.migrate(database, Array(Schema.migrations.prefix(3)))
        let hash = String(repeating: "ef", count: 32)
        for (id, updatedAt) in [("b", 2000), ("a", 1000), ("c", 2000)] {
            try database.execute(
                """
                INSERT INTO jobs (id, state, region, size, image, volume_size_gb, amount_sats, payment_hash,
                    payment_request, invoice_expires_at, access_token_hash, ssh_key_algorithm, refund_payment_hash,
                    created_at, updated_at)
                VALUES (?, 'refunded', 'nyc3', 's', 'i', 0, 1000, ?, 'lnstub', 0, 'x', 'ed25519', ?, 0, ?)
                """, [.text(id), .text("hash-" + id), .text(hash), .integer(Int64(updatedAt))])
        }
        try Migrator.migrate(database, Schema.migrations)
        let rows = try database.query("SELECT id, refund_payment_hash AS h FROM jobs ORDER BY id")
        #expect(rows.map { $0.string("h") } == [hash, hash + ":shared:b", hash + ":shared:c"])
        let flagged = try database.query("SELECT job_id FROM job_events WHERE reason LIKE 'refund invoice also used%' ORDER BY job_id")
        #expect(flagged.map { $0.string("job_id") } == ["b", "c"])
        #expect(throws: SQLiteError.self) {
            try database.execute("UPDATE jobs SET refund_payment_hash = ? WHERE id = 'b'", [.text(hash)])
        }
    }

    // MARK: Wipes

    @Test(arguments: ["retention", "column"])
    func wipeLeavesNoCopyOfTheSealedKeyInTheDatabaseFiles(_ path: String) throws {
        let id = try insertJobs(1, state: .ready, expiresAt: Timestamp.now())[0]
        let sealed = CryptoRandom.bytes(300)
        try database.execute(
            "UPDATE jobs SET ssh_private_key_sealed = ?, ready_at = ? WHERE id = ?",
            [.blob(sealed), .integer(Timestamp.now().adding(seconds: -7200).milliseconds), .text(id)])
        #expect(!holders(of: sealed).isEmpty)
        if path == "retention" {
            #expect(try store.wipeUnclaimedKeys(readyBefore: .now()) == [id])
        } else {
            // Any wipe written as a column update (failure, retry, destroy, the Tailscale key).
            #expect(try store.destroyNode(id, actor: 0) != nil)
        }
        #expect(holders(of: sealed) == [])
    }

    func holders(of secret: [UInt8]) -> [String] {
        ["timmyd.db", "timmyd.db-wal"].filter { name in
            guard let data = FileManager.default.contents(atPath: directory.file(name)) else { return false }
            return data.range(of: Data(secret[100..<132])) != nil
        }
    }

    @Test func journalSizeIsBounded() throws {
        let limit = try database.queryOne("PRAGMA journal_size_limit")?[0]
        #expect(limit == .integer(Int64(SQLiteDatabase.journalSizeLimitBytes)))
        #expect(try database.queryOne("PRAGMA secure_delete")?[0] == .integer(1))
    }
}

@Suite struct StateFolderLockTests {
    @Test func aSecondLockOnTheFolderIsRefusedUntilTheFirstIsReleased() throws {
        let directory = try TemporaryDirectory()
        var first: StateFolderLock? = try StateFolderLock.acquire(stateDirectory: directory.path)
        #expect(first != nil)
        #expect(throws: StateFolderInUse.self) { _ = try StateFolderLock.acquire(stateDirectory: directory.path) }
        first = nil
        _ = try StateFolderLock.acquire(stateDirectory: directory.path)
        #expect(try permissions(of: directory.file(StateFolderLock.fileName)) == 0o600)
    }

    @Test func theLockFileIsNotInheritedByChildren() throws {
        let directory = try TemporaryDirectory()
        let lock = try StateFolderLock.acquire(stateDirectory: directory.path)
        // A child that inherited the descriptor would list the lock file among its open files.
        let listing = try run("/bin/sh", ["-c", "ls -l /proc/self/fd/"])
        #expect(!listing.stdout.contains(StateFolderLock.fileName))
        withExtendedLifetime(lock) {}
    }
}
