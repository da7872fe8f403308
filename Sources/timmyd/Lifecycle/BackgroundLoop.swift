import ServiceLifecycle

/// A loop that runs until its task is cancelled (the payment watcher, the refunder,
/// key retention), as a `Service`: a graceful shutdown cancels it.
///
/// The loops check `Task.isCancelled` and sleep with `Task.sleep`, so cancelling
/// them is the clean stop: each round is a set of guarded store updates, never
/// half applied, and the next start picks up where the store says.
struct BackgroundLoop: Service {
    private let body: @Sendable () async -> Void

    init(_ body: @escaping @Sendable () async -> Void) {
        self.body = body
    }

    func run() async throws {
        await cancelWhenGracefulShutdown { await body() }
    }
}
