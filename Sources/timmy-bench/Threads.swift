#if canImport(Glibc)
import Glibc
#endif

/// A plain POSIX thread: the echo baseline and the throughput clients run on these,
/// not on Swift concurrency, so the baseline has no runtime of its own to pay for.
final class PlainThread: @unchecked Sendable {
    private var thread = pthread_t()
    private let body: () -> Void

    private init(body: @escaping () -> Void) { self.body = body }

    /// Starts `body` on a new thread; `join()` waits for it.
    static func start(_ body: @escaping () -> Void) -> PlainThread {
        let box = PlainThread(body: body)
        let retained = Unmanaged.passRetained(box).toOpaque()
        let result = pthread_create(&box.thread, nil, { raw in
            let box = Unmanaged<PlainThread>.fromOpaque(raw!).takeRetainedValue()
            box.body()
            return nil
        }, retained)
        precondition(result == 0, "pthread_create failed: \(result)")
        return box
    }

    func join() { pthread_join(thread, nil) }

    /// For threads nobody waits for: their resources go back when they end.
    func detach() { pthread_detach(thread) }
}
