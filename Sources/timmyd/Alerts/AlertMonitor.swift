import Logging
import Protocol

/// The periodic checks that turn lasting conditions into operator events: nodes whose
/// setup stalled, and an upstream that stays down.
struct AlertMonitor: Sendable {
    /// An upstream whose outages are events: the payments backend, the cloud API.
    struct Upstream: Sendable {
        var name: String
        var summary: String
        var health: @Sendable () -> BackendHealth
    }

    let events: OperatorEventStore
    let upstreams: [Upstream]
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
            silentSince: nodeSetup.stallCutoff(now: now), stallMinutes: max(nodeSetup.stallSeconds / 60, 1),
            now: now)
        if stalled > 0 { logger.warning("node setup stalled", metadata: ["nodes": "\(stalled)"]) }

        for upstream in upstreams {
            guard let downSince = upstream.health().downSince,
                now.milliseconds - downSince.milliseconds >= settings.upstreamDownSeconds * 1000
            else { continue }
            // One event per outage: the key is the outage's start.
            let minutes = max(settings.upstreamDownSeconds / 60, 1)
            if try events.record(
                .upstreamDown,
                summary: "\(upstream.summary) (\(upstream.name)) has failed every call since \(downSince.rfc3339) "
                    + "(over \(minutes) minute\(minutes == 1 ? "" : "s"))",
                onceKey: "upstream_down:\(upstream.name):\(downSince.milliseconds)", at: now)
            {
                logger.error("upstream down", metadata: ["upstream": "\(upstream.name)", "since": "\(downSince.rfc3339)"])
            }
        }
    }
}
