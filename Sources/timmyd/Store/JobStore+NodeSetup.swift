import Protocol

/// The node's side of a job: its token, its setup reports, and stalls.
extension JobStore {
    /// Keeps a new node token for a job about to get its droplet: the hash for checking
    /// reports, the sealed token for rendering the user_data (also after a crash), and
    /// no earlier node's reports. Only while no droplet is recorded and no token is
    /// waiting; the first writer wins.
    func storeNodeToken(id: String, hash: String, sealed: [UInt8]) throws -> JobRecord? {
        try setColumns(
            of: id, inState: .provisioning, when: "node_token_sealed IS NULL AND do_droplet_id IS NULL",
            [
                ("node_token_hash", .text(hash)), ("node_token_sealed", .blob(sealed)), ("setup_step", .null),
                ("setup_state", .null), ("setup_message", .null), ("setup_updated_at", .null),
                ("setup_report_count", .integer(0)),
            ])
    }

    /// Records a setup report as the job's latest and as a `job_events` row, in one
    /// transaction, and tells watchers. Only for a job whose droplet exists (ready, or
    /// provisioning past the droplet's creation) and still holding the token with hash
    /// `tokenHash`, and with fewer than `NodeSetupReport.maximumPerNode` reports so far;
    /// nil otherwise, with nothing recorded.
    func recordSetupReport(_ report: NodeSetupReport, id: String, tokenHash: String) throws -> JobRecord? {
        let row = try database.transaction { tx -> SQLRow? in
            guard
                let row = try tx.queryOne(
                    """
                    UPDATE jobs SET setup_step = ?, setup_state = ?, setup_message = ?, setup_updated_at = ?, updated_at = ?,
                        setup_report_count = COALESCE(setup_report_count, 0) + 1
                    WHERE id = ? AND node_token_hash = ? AND COALESCE(setup_report_count, 0) < ?
                        AND (state = ? OR (state = ? AND do_droplet_id IS NOT NULL))
                    RETURNING *
                    """,
                    [
                        .text(report.step.rawValue), .text(report.state.rawValue), SQLValue(report.message),
                        .integer(report.at.milliseconds), .integer(report.at.milliseconds), .text(id), .text(tokenHash),
                        .integer(NodeSetupReport.maximumPerNode), .text(JobState.ready.rawValue),
                        .text(JobState.provisioning.rawValue),
                    ])
            else { return nil }
            try Self.appendEvent(
                tx, jobID: id, at: report.at, from: nil, to: nil, phase: nil, actor: nil, reason: report.eventReason)
            return row
        }
        guard let row else { return nil }
        changes.announce(jobID: id)
        return try JobRecord(row: row)
    }

    /// A ready node that reports its setup, whose setup is neither complete nor failed,
    /// and that has said nothing since `?` (its last report, or becoming ready).
    static let stalledCondition = """
        (state = 'ready' AND node_token_hash IS NOT NULL
            AND NOT (setup_step IS 'complete' AND setup_state IS 'done') AND setup_state IS NOT 'failed'
            AND COALESCE(setup_updated_at, ready_at) < ?)
        """

    /// How many nodes are stalled as of `cutoff` (no report since then).
    func stalledSetupCount(silentSince cutoff: Timestamp) throws -> Int64 {
        try database.queryOne(
            "SELECT count(*) AS n FROM jobs WHERE \(Self.stalledCondition)", [.integer(cutoff.milliseconds)]
        )?.int("n") ?? 0
    }

    /// How many ready nodes reported a failed setup step last.
    func failedSetupCount() throws -> Int64 {
        try database.queryOne(
            "SELECT count(*) AS n FROM jobs WHERE state = 'ready' AND setup_state = 'failed'")?.int("n") ?? 0
    }
}
