import ServiceLifecycle

/// A service that keeps something running until the daemon stops, then runs `stop`:
/// the socket listener (stop accepting), the provisioner (each job halts at its
/// last recorded phase). `stop` also runs if the group is cancelled instead.
struct UntilShutdown: Service {
    private let stop: @Sendable () async -> Void

    init(stop: @escaping @Sendable () async -> Void) {
        self.stop = stop
    }

    func run() async throws {
        try? await gracefulShutdown()
        await stop()
    }
}
