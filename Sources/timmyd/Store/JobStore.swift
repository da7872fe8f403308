import Protocol

/// One line of a job's history: a transition, a phase, or an admin action.
struct JobEventRecord: Sendable {
    var at: Timestamp
    var fromState: String?
    var toState: String?
    var phase: String?
    var actorUID: UInt32?
    var reason: String
}

/// Who caused a change: a caller's uid, or the daemon itself (nil).
typealias ActorUID = UInt32?

/// The jobs table and its history, spoken to in intents (`createJob`, `confirmPayment`,
/// `recordPhase`, `startRefund`, ...): column names, SQL and `SQLValue` stay in this folder.
/// Every state change is one guarded
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

    /// Jobs awaiting payment that were bought from `clientAddress`.
    func unpaidCount(clientAddress: String) throws -> Int64 {
        try Self.unpaidCount(database, clientAddress: clientAddress)
    }

    static func unpaidCount(_ executor: some SQLExecutor, clientAddress: String) throws -> Int64 {
        let row = try executor.queryOne(
            "SELECT count(*) AS n FROM jobs WHERE client_address = ? AND state = ?",
            [.text(clientAddress), .text(JobState.awaitingPayment.rawValue)])
        return row?.int("n") ?? 0
    }

    func job(id: String) throws -> JobRecord? {
        try database.queryOne("SELECT * FROM jobs WHERE id = ?", [.text(id)]).map(JobRecord.init(row:))
    }

    // MARK: Store-internal writes
    //
    // The three primitives below take column names and `SQLValue`s, so they are for the
    // intent methods in this folder only (`JobStore+Payments`, `+Provisioning`, `+Refunds`,
    // ...); `StoreBoundaryTests` fails if code outside Store names `SQLValue` or SQL.

    /// Moves a job on `event` if, and only if, it is still in `expected`, setting `columns`
    /// in the same guarded statement.
    ///
    /// - Returns: the updated job, or nil when another caller (or time) moved it first.
    func transition(
        _ event: JobEvent, of id: String, from expected: JobState, actor: ActorUID, reason: String,
        setting columns: [(String, SQLValue)], phase: ProvisionPhase? = nil
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

    /// Records that a provisioning phase completed with `columns`, if the job is still
    /// provisioning and still at `previous`.
    func phaseRecord(
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
    /// `condition` is one of this folder's own constant SQL fragments, never caller input.
    func setColumns(
        of id: String, inState state: JobState, when condition: String = "1", _ columns: [(String, SQLValue)]
    ) throws -> JobRecord? {
        let now = Timestamp.now()
        let sets = (columns + [("updated_at", .integer(now.milliseconds))])
        let sql = "UPDATE jobs SET \(sets.map { "\($0.0) = ?" }.joined(separator: ", ")) "
            + "WHERE id = ? AND state = ? AND (\(condition)) RETURNING *"
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

