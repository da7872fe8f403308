import Protocol

/// The job's SSH private key: deliveries, confirmed receipts, and wipes.
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
