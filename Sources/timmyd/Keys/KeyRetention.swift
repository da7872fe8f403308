import Logging

/// Wipes private keys timmyd should no longer hold: keys nobody claimed within the
/// retention period (checked hourly), and delivered keys whose receipt was not
/// confirmed by their `key_confirm_by` (woken for the earliest such deadline). Both
/// are times in the database, so a restart loses nothing: the first sweep runs at start.
enum KeyRetention {
    static let retentionSweepSeconds: Int64 = 3600

    static func run(store: JobStore, retentionSeconds: Int64, confirmWindowSeconds: Int64, logger: Logger) async {
        var nextRetentionSweep = Timestamp.now()
        while !Task.isCancelled {
            let now = Timestamp.now()
            var pauseMilliseconds: Int64 = 10
            do {
                if now >= nextRetentionSweep {
                    let wiped = try store.wipeUnclaimedKeys(readyBefore: now.adding(seconds: -retentionSeconds))
                    for id in wiped { logger.notice("unclaimed ssh key wiped after retention", metadata: ["job": "\(id)"]) }
                    nextRetentionSweep = now.adding(seconds: retentionSweepSeconds)
                }
                let expired = try store.wipeUnconfirmedKeys(now: now)
                for id in expired { logger.notice("delivered ssh key wiped: receipt not confirmed in time", metadata: ["job": "\(id)"]) }
            } catch {
                logger.error("key retention sweep failed", metadata: ["error": "\(error)"])
                // A deadline already due would otherwise bring the next try straight back.
                pauseMilliseconds = 5000
            }
            let wake = nextWake(
                now: now, nextRetentionSweep: nextRetentionSweep, nextConfirmDeadline: try? store.nextKeyConfirmDeadline(),
                confirmWindowSeconds: confirmWindowSeconds)
            try? await Task.sleep(for: .milliseconds(max(wake.milliseconds - Timestamp.now().milliseconds, pauseMilliseconds)))
        }
    }

    /// When to look again. A key claimed while the sweep sleeps gets a deadline at least
    /// one window from now, so waking no later than that never misses one.
    static func nextWake(
        now: Timestamp, nextRetentionSweep: Timestamp, nextConfirmDeadline: Timestamp?, confirmWindowSeconds: Int64
    ) -> Timestamp {
        var wake = min(nextRetentionSweep, now.adding(seconds: confirmWindowSeconds))
        if let deadline = nextConfirmDeadline { wake = min(wake, deadline) }
        return wake
    }
}
