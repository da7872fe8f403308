import Protocol

/// The operator events outbox (`operator_events`) and its delivery attempts.
///
/// Job transitions that are events are written by triggers in the transition's own
/// transaction (see Schema v7); the rest are recorded here by the checks that find them.
final class OperatorEventStore: Sendable {
    let database: SQLiteDatabase

    init(database: SQLiteDatabase) {
        self.database = database
    }

    /// Records an event due for delivery now. With `onceKey`, a second event with the
    /// same key is not recorded (false).
    @discardableResult
    func record(
        _ kind: OperatorEventKind, jobID: String? = nil, summary: String, onceKey: String? = nil, at: Timestamp = .now()
    ) throws -> Bool {
        try database.execute(
            """
            INSERT OR IGNORE INTO operator_events (kind, at, job_id, summary, once_key, next_attempt_at)
            VALUES (?, ?, ?, ?, ?, ?)
            """,
            [.text(kind.rawValue), .integer(at.milliseconds), SQLValue(jobID), .text(summary), SQLValue(onceKey),
             .integer(at.milliseconds)]) > 0
    }

    /// One `setup_stalled` event per silence: every node stalled as of `cutoff` (see
    /// `JobStore.stalledCondition`) that has no event yet for its latest report.
    /// Returns how many were recorded.
    @discardableResult
    func recordStalledSetups(silentSince cutoff: Timestamp, stallMinutes: Int64, now: Timestamp = .now()) throws -> Int {
        try database.execute(
            """
            INSERT OR IGNORE INTO operator_events (kind, at, job_id, summary, once_key, next_attempt_at)
            SELECT ?, ?, id,
                'node setup has reported nothing for ' || ? || ' minutes (last step: '
                    || COALESCE(setup_step, 'none yet') || ')',
                'setup_stalled:' || id || ':' || COALESCE(setup_updated_at, ready_at), ?
            FROM jobs WHERE \(JobStore.stalledCondition)
            """,
            [.text(OperatorEventKind.setupStalled.rawValue), .integer(now.milliseconds), .integer(stallMinutes),
             .integer(now.milliseconds), .integer(cutoff.milliseconds)])
    }

    /// Events with an id above `id`, oldest first.
    func events(after id: Int64, limit: Int64) throws -> [OperatorEvent] {
        try database.query(
            "SELECT * FROM operator_events WHERE id > ? ORDER BY id LIMIT ?", [.integer(id), .integer(limit)]
        ).map(Self.event(from:))
    }

    /// The highest event id so far (0 when there is none).
    func lastID() throws -> Int64 {
        try database.queryOne("SELECT COALESCE(MAX(id), 0) AS id FROM operator_events")?.int("id") ?? 0
    }

    /// The pending event due first, if it is due by `now`.
    func nextDue(now: Timestamp) throws -> OperatorEvent? {
        try database.queryOne(
            """
            SELECT * FROM operator_events WHERE delivery = 'pending' AND next_attempt_at <= ?
            ORDER BY next_attempt_at, id LIMIT 1
            """, [.integer(now.milliseconds)]
        ).map(Self.event(from:))
    }

    /// When the next pending event falls due, if any is pending.
    func nextDueTime() throws -> Timestamp? {
        try database.queryOne(
            "SELECT MIN(next_attempt_at) AS next FROM operator_events WHERE delivery = 'pending'"
        )?.int("next").map(Timestamp.init(milliseconds:))
    }

    /// Records one delivery attempt and its consequence, in one transaction.
    func recordAttempt(
        eventID: Int64, at: Timestamp, status: Int?, error: String?, then next: AlertDeliveryDecision
    ) throws {
        try database.transaction { tx in
            _ = try tx.execute(
                "INSERT INTO operator_event_attempts (event_id, at, status, error) VALUES (?, ?, ?, ?)",
                [.integer(eventID), .integer(at.milliseconds), SQLValue(status.map(Int64.init)), SQLValue(error)])
            let (delivery, nextAttempt, finished): (OperatorEventDelivery, Timestamp?, Timestamp?) =
                switch next {
                case .delivered: (.delivered, nil, at)
                case .retry(let when): (.pending, when, nil)
                case .abandon: (.abandoned, nil, at)
                }
            _ = try tx.execute(
                """
                UPDATE operator_events SET attempts = attempts + 1, last_status = ?, last_error = ?, delivery = ?,
                    next_attempt_at = COALESCE(?, next_attempt_at), finished_at = ?
                WHERE id = ? AND delivery = 'pending'
                """,
                [SQLValue(status.map(Int64.init)), SQLValue(error), .text(delivery.rawValue),
                 SQLValue(nextAttempt?.milliseconds), SQLValue(finished?.milliseconds), .integer(eventID)])
        }
    }

    /// Every attempt to deliver one event, oldest first: (time, HTTP status, transport error).
    func attempts(eventID: Int64) throws -> [(at: Timestamp, status: Int64?, error: String?)] {
        try database.query(
            "SELECT at, status, error FROM operator_event_attempts WHERE event_id = ? ORDER BY id", [.integer(eventID)]
        ).map { (Timestamp(milliseconds: $0.int("at") ?? 0), $0.int("status"), $0.string("error")) }
    }

    private static func event(from row: SQLRow) -> OperatorEvent {
        OperatorEvent(
            id: row.int("id") ?? 0, kind: row.string("kind") ?? "", at: Timestamp(milliseconds: row.int("at") ?? 0),
            jobID: row.string("job_id"), summary: row.string("summary") ?? "",
            delivery: row.string("delivery") ?? OperatorEventDelivery.pending.rawValue, attempts: row.int("attempts") ?? 0,
            lastStatus: row.int("last_status"), lastError: row.string("last_error"),
            finishedAt: row.int("finished_at").map(Timestamp.init(milliseconds:)))
    }
}
