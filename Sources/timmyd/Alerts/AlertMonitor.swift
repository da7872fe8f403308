import Logging
import Protocol

/// The periodic checks that turn lasting conditions into operator events: nodes whose
/// setup stalled, and an upstream that stays down.
struct AlertMonitor: Sendable {
    let events: OperatorEventStore
    let watcher: PaymentWatcher
    let nodeSetup: NodeSetupSettings
    let settings: AlertSettings
    let logger: Logger

    func run() async {
        while !Task.isCancelled {
            do {
                try check()
            } catch {
                logger.error("alert checks failed; trying again", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .milliseconds(settings.checkIntervalMilliseconds))
        }
    }

    func check(now: Timestamp = .now()) throws {
        let stalled = try events.recordStalledSetups(
            silentSince: now.adding(seconds: -nodeSetup.stallSeconds), stallMinutes: max(nodeSetup.stallSeconds / 60, 1),
            now: now)
        if stalled > 0 { logger.warning("node setup stalled", metadata: ["nodes": "\(stalled)"]) }

        if let downSince = watcher.backendHealth.downSince,
            now.milliseconds - downSince.milliseconds >= settings.upstreamDownSeconds * 1000
        {
            // One event per outage: the key is the outage's start.
            let minutes = max(settings.upstreamDownSeconds / 60, 1)
            if try events.record(
                .upstreamDown,
                summary: "the payments backend has failed every call since \(downSince.rfc3339) "
                    + "(over \(minutes) minute\(minutes == 1 ? "" : "s")); invoices and payment checks are failing",
                onceKey: "upstream_down:payments:\(downSince.milliseconds)", at: now)
            {
                logger.error("payments backend down", metadata: ["since": "\(downSince.rfc3339)"])
            }
        }
    }
}
