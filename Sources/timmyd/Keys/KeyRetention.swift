import Logging

/// Wipes private keys nobody claimed within the retention period, hourly.
enum KeyRetention {
    static func run(store: JobStore, retentionSeconds: Int64, logger: Logger) async {
        while !Task.isCancelled {
            do {
                let wiped = try store.wipeUnclaimedKeys(readyBefore: Timestamp.now().adding(seconds: -retentionSeconds))
                for id in wiped { logger.notice("unclaimed ssh key wiped after retention", metadata: ["job": "\(id)"]) }
            } catch {
                logger.error("key retention sweep failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(3600))
        }
    }
}
