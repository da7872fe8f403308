import ServiceLifecycle

/// Fault injection (`TIMMY_FAULT_SERVICE_FAILS_AFTER_MS`): a service that throws after
/// a delay, so tests can see one failing service stop the whole daemon. Never set in production.
struct FaultyService: Service {
    let delay: Duration

    struct InjectedFailure: Error, CustomStringConvertible {
        var description: String { "fault injection: this service failed on purpose" }
    }

    func run() async throws {
        // A stop before the delay is a clean end, not a failure.
        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: delay) }
        if !Task.isShuttingDownGracefully && !Task.isCancelled { throw InjectedFailure() }
    }
}
