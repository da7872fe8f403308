import Logging
import ServiceLifecycle

/// The daemon's long-running work, in start order. The group stops them one at a
/// time in reverse: the last added stops first, so add what others depend on first.
///
/// Adding a worker (a metrics listener, an alert sender) is one line in `Daemon.start`:
/// `services.add(worker, named: "metrics")`, where `worker` is a `Service` whose
/// `run()` returns once graceful shutdown is signalled (`gracefulShutdown()`, or
/// `cancelWhenGracefulShutdown { … }` around a loop).
struct DaemonServices {
    private(set) var entries: [ServiceGroupConfiguration.ServiceConfiguration] = []
    let logger: Logger

    /// A service that throws, or ends on its own, while the daemon runs stops the whole
    /// daemon gracefully (the others in order); `ServiceGroup.run()` then throws and
    /// timmyd exits non-zero.
    mutating func add(_ service: any Service, named name: String) {
        entries.append(
            .init(
                service: WatchedService(name: name, service: service, logger: logger),
                successTerminationBehavior: .gracefullyShutdownGroup,
                failureTerminationBehavior: .gracefullyShutdownGroup, serviceName: name))
    }

    var names: [String] { entries.map(\.serviceName) }

    /// No signals: `ShutdownSignal` (installed before the socket appears) triggers the
    /// graceful shutdown, so a SIGTERM that arrives before the group runs is not lost.
    func group() -> ServiceGroup {
        var configuration = ServiceGroupConfiguration(services: entries, gracefulShutdownSignals: [], logger: logger)
        // Then the stragglers are cancelled: well inside the unit's TimeoutStopSec=30s.
        configuration.maximumGracefulShutdownDuration = .seconds(20)
        return ServiceGroup(configuration: configuration)
    }
}

/// A service that failed, by name: what the operator reads in the log and on exit.
struct DaemonServiceFailed: Error, CustomStringConvertible {
    let name: String
    let reason: String
    var description: String { "service \(name) failed: \(reason)" }
}

/// Says in the log which service ended the daemon and why, the moment it happens.
private struct WatchedService: Service {
    let name: String
    let service: any Service
    let logger: Logger

    func run() async throws {
        do {
            try await service.run()
        } catch {
            let failure = DaemonServiceFailed(name: name, reason: "\(error)")
            logger.critical("\(failure); timmyd stops", metadata: ["service": "\(name)"])
            throw failure
        }
        // Ending before the daemon stops is a failure too (the group would otherwise call it a clean stop).
        if !Task.isShuttingDownGracefully && !Task.isCancelled {
            let failure = DaemonServiceFailed(name: name, reason: "it ended on its own")
            logger.critical("\(failure); timmyd stops", metadata: ["service": "\(name)"])
            throw failure
        }
        logger.debug("service stopped", metadata: ["service": "\(name)"])
    }
}
