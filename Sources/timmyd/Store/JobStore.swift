import Protocol

/// A job as `bootstrap.create` inserts it.
struct NewJob: Sendable {
    var id: String
    var label: String?
    var plan: NodePlan
    var amountSats: Int64
    var paymentHash: String
    var paymentRequest: String
    var invoiceExpiresAt: Timestamp
    var accessTokenHash: String
    var sshKeyAlgorithm: String
    /// Set when the buyer brought their own key: then no private key is ever made.
    var buyerPublicKey: (line: String, fingerprint: String)?
    /// Where an HTTP buyer came from (see `Caller.clientAddress`); nil over JSON-RPC.
    var clientAddress: String? = nil
    /// The buyer's own Tailscale auth key, sealed; kept until the droplet exists.
    var sealedBuyerTailscaleKey: [UInt8]? = nil
}

/// One line of a job's history: a transition, a phase, or an admin action.
struct JobEventRecord: Sendable {
    var at: Timestamp
    var fromState: String?
    var toState: String?
    var phase: String?
    var actorUID: UInt32?
    var reason: String
}

/// `JobStore.insert` refused a job: its client address already has `limit` jobs awaiting payment.
struct UnpaidLimitReached: Error {
    let limit: Int64
}

/// Who caused a change: a caller's uid, or the daemon itself (nil).
typealias ActorUID = UInt32?

/// The jobs table and its history. Every state change is one guarded
/// `UPDATE … WHERE id = ? AND state = ? RETURNING *` in the same transaction as
/// its `job_events` row, so concurrent callers cannot both win and no change goes
/// unrecorded. Each committed change is announced to `changes` for watchers.
final class JobStore: Sendable {
    let database: SQLiteDatabase
    let changes: JobChangeNotifier

    init(database: SQLiteDatabase, changes: JobChangeNotifier) {
        self.database = database
        self.changes = changes
    }

    /// Inserts a job awaiting payment. With `unpaidLimit`, the job's client address may
    /// hold at most that many jobs awaiting payment, this one included; the count and
    /// the insert are one transaction, so concurrent buyers cannot overshoot it.
    func insert(_ job: NewJob, actor: ActorUID, unpaidLimit: Int64? = nil) throws -> JobRecord {
        let now = Timestamp.now()
        let row = try database.transaction { tx in
            if let unpaidLimit, let address = job.clientAddress,
                try Self.unpaidCount(tx, clientAddress: address) >= unpaidLimit
            {
                throw UnpaidLimitReached(limit: unpaidLimit)
            }
            let key = job.buyerPublicKey
            let values: [SQLValue] = [
                .text(job.id), .text(JobState.awaitingPayment.rawValue), SQLValue(job.label),
                .text(job.plan.region), .text(job.plan.size), .text(job.plan.image),
                .integer(job.plan.volumeSizeGB), .integer(job.amountSats), .text(job.paymentHash),
                .text(job.paymentRequest), .integer(job.invoiceExpiresAt.milliseconds),
                .text(job.accessTokenHash), .text(job.sshKeyAlgorithm), SQLValue(key?.line), SQLValue(key?.fingerprint),
                .integer(key == nil ? 0 : 1), .integer(now.milliseconds), .integer(now.milliseconds),
                SQLValue(job.clientAddress), job.sealedBuyerTailscaleKey.map(SQLValue.blob) ?? .null,
                .integer(job.sealedBuyerTailscaleKey == nil ? 0 : 1),
            ]
            let inserted = try tx.queryOne(
                """
                INSERT INTO jobs (id, state, label, region, size, image, volume_size_gb, amount_sats,
                    payment_hash, payment_request, invoice_expires_at, access_token_hash, ssh_key_algorithm,
                    ssh_public_key, ssh_key_fingerprint, buyer_supplied_key, created_at, updated_at, client_address,
                    tailscale_auth_key_sealed, buyer_tailscale_key)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *
                """, values)
            try Self.appendEvent(
                tx, jobID: job.id, at: now, from: nil, to: .awaitingPayment, phase: nil, actor: actor,
                reason: "created")
            return inserted
        }
        guard let row else { throw StoreError.corruptRow(column: "id") }
        return try JobRecord(row: row)
    }

    /// Jobs awaiting payment that were bought from `clientAddress`.
    func unpaidCount(clientAddress: String) throws -> Int64 {
        try Self.unpaidCount(database, clientAddress: clientAddress)
    }

    private static func unpaidCount(_ executor: some SQLExecutor, clientAddress: String) throws -> Int64 {
        let row = try executor.queryOne(
            "SELECT count(*) AS n FROM jobs WHERE client_address = ? AND state = ?",
            [.text(clientAddress), .text(JobState.awaitingPayment.rawValue)])
        return row?.int("n") ?? 0
    }

    func job(id: String) throws -> JobRecord? {
        try database.queryOne("SELECT * FROM jobs WHERE id = ?", [.text(id)]).map(JobRecord.init(row:))
    }

    /// Moves a job on `event` if, and only if, it is still in `expected`.
    ///
    /// - Returns: the updated job, or nil when another caller (or time) moved it first.
    /// - Parameter columns: further columns set in the same statement (names are
    ///   the store's own constants, never caller input).
    /// - Parameter phase: the provisioning phase to set with the move, if any.
    func apply(
        _ event: JobEvent, to id: String, from expected: JobState, actor: ActorUID, reason: String,
        setting columns: [(String, SQLValue)] = [], phase: ProvisionPhase? = nil
    ) throws -> JobRecord? {
        guard let target = JobStateMachine.target(of: event, from: expected) else {
            preconditionFailure("no \(event) move from \(expected)")
        }
        var assignments = columns
        assignments.append(("state", .text(target.rawValue)))
        if let phase { assignments.append(("phase", .text(phase.rawValue))) }
        return try guardedUpdate(
            id: id, condition: "state = ?", conditionValues: [.text(expected.rawValue)], setting: assignments,
            event: (from: expected, to: target, phase: phase, actor: actor, reason: reason))
    }

    /// Records that a provisioning phase completed, with whatever it created, if the
    /// job is still provisioning and still at `previous`.
    func recordPhase(
        _ phase: ProvisionPhase, of id: String, after previous: ProvisionPhase?, setting columns: [(String, SQLValue)],
        reason: String
    ) throws -> JobRecord? {
        var assignments = columns
        assignments.append(("phase", .text(phase.rawValue)))
        return try guardedUpdate(
            id: id, condition: "state = ? AND phase IS ?",
            conditionValues: [.text(JobState.provisioning.rawValue), previous.map { .text($0.rawValue) } ?? .null],
            setting: assignments, event: (from: nil, to: nil, phase: phase, actor: nil, reason: reason))
    }

    /// Sets columns of a job in `state` without moving it (no event row; no announcement).
    func update(
        id: String, inState state: JobState, where extraCondition: String = "1", setting columns: [(String, SQLValue)]
    ) throws -> JobRecord? {
        let now = Timestamp.now()
        let sets = (columns + [("updated_at", .integer(now.milliseconds))])
        let sql = "UPDATE jobs SET \(sets.map { "\($0.0) = ?" }.joined(separator: ", ")) "
            + "WHERE id = ? AND state = ? AND (\(extraCondition)) RETURNING *"
        let row = try database.queryOne(sql, sets.map(\.1) + [.text(id), .text(state.rawValue)])
        if row != nil && Self.wipesASecret(columns) { purgeWipedSecrets() }
        return try row.map(JobRecord.init(row:))
    }

    /// Appends an event that is not a transition (an admin action, a refused payment).
    func note(_ reason: String, on id: String, actor: ActorUID) throws {
        try database.transaction { tx in
            try Self.appendEvent(tx, jobID: id, at: .now(), from: nil, to: nil, phase: nil, actor: actor, reason: reason)
        }
    }

    /// The job whose refund uses (or was paid to) an invoice with this payment hash, if any.
    func jobRefunding(toPaymentHash paymentHash: String) throws -> String? {
        try database.queryOne(
            "SELECT id FROM jobs WHERE refund_payment_hash = ?", [.text(paymentHash.lowercased())]
        )?.string("id")
    }

    /// Whether some job's invoice has this payment hash.
    func jobExists(paymentHash: String) throws -> Bool {
        try database.queryOne("SELECT 1 AS found FROM jobs WHERE payment_hash = ?", [.text(paymentHash.lowercased())]) != nil
    }

    func jobs(in states: [JobState]) throws -> [JobRecord] {
        let marks = states.map { _ in "?" }.joined(separator: ", ")
        return try database.query(
            "SELECT * FROM jobs WHERE state IN (\(marks)) ORDER BY created_at, id", states.map { .text($0.rawValue) }
        ).map(JobRecord.init(row:))
    }

    /// Jobs whose invoice may still be paid: every job awaiting payment and, with
    /// `lateSince`, expired or cancelled jobs whose invoice expired after it (the
    /// late-payment grace window). Both legs are index searches
    /// (`jobs_by_state`, `jobs_by_state_invoice_expiry`), so jobs that left the window
    /// long ago cost a watcher round nothing.
    func jobsWatchedForPayment(lateSince cutoff: Timestamp?) throws -> [JobRecord] {
        guard let cutoff else { return try jobs(in: [.awaitingPayment]) }
        return try database.query(
            Self.watchedForPaymentSQL,
            [
                .text(JobState.awaitingPayment.rawValue), .text(JobState.expired.rawValue),
                .text(JobState.cancelled.rawValue), .integer(cutoff.milliseconds),
            ]
        ).map(JobRecord.init(row:))
    }

    static let watchedForPaymentSQL = """
        SELECT * FROM jobs WHERE state = ?
        UNION ALL
        SELECT * FROM jobs WHERE state IN (?, ?) AND invoice_expires_at > ?
        """

    /// One page of jobs, newest first. The cursor is the last row's `created_at:id`.
    /// With `stalledSince`, only nodes whose setup has said nothing since then (see `stalledCondition`).
    func page(state: JobState?, limit: Int64, after cursor: (Timestamp, String)?, stalledSince: Timestamp? = nil) throws -> [JobRecord] {
        var conditions: [String] = []
        var values: [SQLValue] = []
        if let stalledSince {
            conditions.append(Self.stalledCondition)
            values.append(.integer(stalledSince.milliseconds))
        }
        if let state {
            conditions.append("state = ?")
            values.append(.text(state.rawValue))
        }
        if let (createdAt, id) = cursor {
            conditions.append("(created_at < ? OR (created_at = ? AND id < ?))")
            values += [.integer(createdAt.milliseconds), .integer(createdAt.milliseconds), .text(id)]
        }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try database.query(
            "SELECT * FROM jobs \(filter) ORDER BY created_at DESC, id DESC LIMIT ?", values + [.integer(limit)]
        ).map(JobRecord.init(row:))
    }

    func events(of id: String) throws -> [JobEventRecord] {
        try database.query("SELECT * FROM job_events WHERE job_id = ? ORDER BY id", [.text(id)]).map { row in
            JobEventRecord(
                at: Timestamp(milliseconds: row.int("at") ?? 0), fromState: row.string("from_state"),
                toState: row.string("to_state"), phase: row.string("phase"),
                actorUID: row.int("actor_uid").map { UInt32(truncatingIfNeeded: $0) }, reason: row.string("reason") ?? "")
        }
    }

    // MARK: Internals

    private func guardedUpdate(
        id: String, condition: String, conditionValues: [SQLValue], setting columns: [(String, SQLValue)],
        event: (from: JobState?, to: JobState?, phase: ProvisionPhase?, actor: ActorUID, reason: String)
    ) throws -> JobRecord? {
        let now = Timestamp.now()
        let sets = columns + [("updated_at", .integer(now.milliseconds))]
        let sql = "UPDATE jobs SET \(sets.map { "\($0.0) = ?" }.joined(separator: ", ")) "
            + "WHERE id = ? AND \(condition) RETURNING *"
        let row = try database.transaction { tx -> SQLRow? in
            guard let row = try tx.queryOne(sql, sets.map(\.1) + [.text(id)] + conditionValues) else { return nil }
            try Self.appendEvent(
                tx, jobID: id, at: now, from: event.from, to: event.to, phase: event.phase, actor: event.actor,
                reason: event.reason)
            return row
        }
        guard let row else { return nil }
        if Self.wipesASecret(columns) { purgeWipedSecrets() }
        let job = try JobRecord(row: row)
        changes.announce(jobID: id)
        return job
    }

    // MARK: Wiping secrets

    /// Columns holding a sealed secret; setting one to NULL is a wipe.
    static let sealedSecretColumns: Set<String> = ["ssh_private_key_sealed", "tailscale_auth_key_sealed", "node_token_sealed"]

    static func wipesASecret(_ columns: [(String, SQLValue)]) -> Bool {
        columns.contains { sealedSecretColumns.contains($0.0) && $0.1 == .null }
    }

    /// Every wipe ends here, after its transaction committed. `secure_delete` has zeroed
    /// the sealed bytes in the database file's page, but the WAL still holds earlier
    /// images of that page; a TRUNCATE checkpoint writes the wiped page home and empties
    /// the WAL. A failure leaves those images for SQLite's next checkpoint: the wipe itself
    /// is committed, and throwing now would tell a caller it did not happen.
    func purgeWipedSecrets() {
        _ = try? database.checkpointTruncatingWAL()
    }

    static func appendEvent(
        _ tx: SQLiteDatabase.Transaction, jobID: String, at: Timestamp, from: JobState?, to: JobState?,
        phase: ProvisionPhase?, actor: ActorUID, reason: String
    ) throws {
        let values: [SQLValue] = [
            .text(jobID), .integer(at.milliseconds), SQLValue(from?.rawValue), SQLValue(to?.rawValue),
            SQLValue(phase?.rawValue), SQLValue(actor.map { Int64($0) }), .text(reason),
        ]
        _ = try tx.execute(
            "INSERT INTO job_events (job_id, at, from_state, to_state, phase, actor_uid, reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
            values)
    }
}

extension JobStore {
    /// Records one delivery of the key and returns the row it was read from, sealed key
    /// included. The first claim fixes `key_confirm_by` (now + `confirmWindowSeconds`);
    /// later claims keep it. One guarded statement: a claim racing a confirmation or an
    /// expiry either gets the whole row with its key, or nil, never a half-wiped row.
    func deliverKey(id: String, actor: ActorUID, confirmWindowSeconds: Int64) throws -> JobRecord? {
        let now = Timestamp.now()
        let deadline = now.adding(seconds: confirmWindowSeconds)
        let row = try database.transaction { tx -> SQLRow? in
            // BEGIN IMMEDIATE: nothing can change the row between this read and the update.
            let first = try tx.queryOne("SELECT key_claimed_at FROM jobs WHERE id = ?", [.text(id)])?.int("key_claimed_at") == nil
            guard
                let row = try tx.queryOne(
                    """
                    UPDATE jobs SET key_claimed_at = COALESCE(key_claimed_at, ?), key_confirm_by = COALESCE(key_confirm_by, ?),
                        updated_at = ?
                    WHERE id = ? AND state = ? AND ssh_private_key_sealed IS NOT NULL
                        AND (key_confirm_by IS NULL OR key_confirm_by > ?)
                    RETURNING *
                    """,
                    [.integer(now.milliseconds), .integer(deadline.milliseconds), .integer(now.milliseconds), .text(id),
                     .text(JobState.ready.rawValue), .integer(now.milliseconds)])
            else { return nil }
            let confirmBy = Timestamp(milliseconds: row.int("key_confirm_by") ?? deadline.milliseconds)
            try Self.appendEvent(
                tx, jobID: id, at: now, from: nil, to: nil, phase: nil, actor: actor,
                reason: (first ? "ssh key delivered (first claim)" : "ssh key delivered again")
                    + "; held until confirmed or \(confirmBy.rfc3339)")
            return row
        }
        guard let row else { return nil }
        changes.announce(jobID: id)
        return try JobRecord(row: row)
    }

    /// Wipes a delivered key whose receipt the buyer confirmed with its fingerprint.
    /// Nil when there is no such key (not ready, never claimed, already wiped, or
    /// another fingerprint): then nothing changed.
    func confirmKey(id: String, fingerprint: String, actor: ActorUID) throws -> JobRecord? {
        let now = Timestamp.now()
        let row = try database.transaction { tx -> SQLRow? in
            guard
                let row = try tx.queryOne(
                    """
                    UPDATE jobs SET ssh_private_key_sealed = NULL, key_wiped_at = ?, updated_at = ?
                    WHERE id = ? AND state = ? AND ssh_private_key_sealed IS NOT NULL AND key_claimed_at IS NOT NULL
                        AND ssh_key_fingerprint = ?
                    RETURNING *
                    """,
                    [.integer(now.milliseconds), .integer(now.milliseconds), .text(id), .text(JobState.ready.rawValue),
                     .text(fingerprint)])
            else { return nil }
            try Self.appendEvent(
                tx, jobID: id, at: now, from: nil, to: nil, phase: nil, actor: actor,
                reason: "ssh key receipt confirmed; wiped")
            return row
        }
        guard let row else { return nil }
        purgeWipedSecrets()
        changes.announce(jobID: id)
        return try JobRecord(row: row)
    }

    /// Wipes delivered keys whose confirmation window has passed: the buyer had the
    /// key (it was delivered) and stopped asking for it.
    func wipeUnconfirmedKeys(now: Timestamp = .now()) throws -> [String] {
        let ids = try database.transaction { tx in
            let rows = try tx.query(
                """
                UPDATE jobs SET ssh_private_key_sealed = NULL, key_wiped_at = ?, updated_at = ?
                WHERE ssh_private_key_sealed IS NOT NULL AND key_confirm_by IS NOT NULL AND key_confirm_by <= ?
                RETURNING id, key_confirm_by
                """, [.integer(now.milliseconds), .integer(now.milliseconds), .integer(now.milliseconds)])
            for row in rows {
                guard let id = row.string("id") else { continue }
                let deadline = Timestamp(milliseconds: row.int("key_confirm_by") ?? now.milliseconds)
                try Self.appendEvent(
                    tx, jobID: id, at: now, from: nil, to: nil, phase: nil, actor: nil,
                    reason: "delivered ssh key wiped: receipt not confirmed by \(deadline.rfc3339)")
            }
            return rows.compactMap { $0.string("id") }
        }
        if !ids.isEmpty { purgeWipedSecrets() }
        for id in ids { changes.announce(jobID: id) }
        return ids
    }

    /// The earliest confirmation deadline of a key still held, for the sweep's next wake-up.
    func nextKeyConfirmDeadline() throws -> Timestamp? {
        try database.queryOne(
            "SELECT MIN(key_confirm_by) AS next FROM jobs WHERE key_confirm_by IS NOT NULL AND ssh_private_key_sealed IS NOT NULL"
        )?.int("next").map(Timestamp.init(milliseconds:))
    }

    /// Wipes private keys nobody claimed within the retention period.
    func wipeUnclaimedKeys(readyBefore cutoff: Timestamp) throws -> [String] {
        let now = Timestamp.now()
        let wiped = try database.transaction { tx in
            let rows = try tx.query(
                """
                UPDATE jobs SET ssh_private_key_sealed = NULL, key_wiped_at = ?, updated_at = ?
                WHERE ssh_private_key_sealed IS NOT NULL AND key_claimed_at IS NULL AND ready_at IS NOT NULL AND ready_at < ?
                RETURNING id
                """, [.integer(now.milliseconds), .integer(now.milliseconds), .integer(cutoff.milliseconds)])
            let ids = rows.compactMap { $0.string("id") }
            for id in ids {
                try Self.appendEvent(
                    tx, jobID: id, at: now, from: nil, to: nil, phase: nil, actor: nil,
                    reason: "unclaimed ssh key wiped after the retention period")
            }
            return ids
        }
        if !wiped.isEmpty { purgeWipedSecrets() }
        return wiped
    }
}
