import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// Waits for SIGTERM or SIGINT, the two ways an operator (or systemd) asks the daemon to stop.
///
/// A process-wide handler writes one byte to a pipe (the only async-signal-safe
/// thing worth doing) and a dispatch read source wakes the waiter. Unlike
/// signal-mask based schemes this does not depend on which of the daemon's
/// threads the kernel picks to deliver the signal.
///
/// - Important: call `install()` before the daemon starts serving. A SIGTERM that
///   arrives before the handler exists takes the default action and kills the daemon
///   without its clean shutdown; once installed, an early signal is kept in the pipe
///   and `wait()` returns at once.
enum ShutdownSignal {
    nonisolated(unsafe) private static var wakeDescriptor: Int32 = -1
    nonisolated(unsafe) private static var readDescriptor: Int32 = -1

    static func install() {
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { fatalError("cannot create the shutdown pipe") }
        readDescriptor = ends[0]
        wakeDescriptor = ends[1]
        var action = sigaction()
        action.__sigaction_handler.sa_handler = { _ in
            var byte: UInt8 = 1
            _ = write(ShutdownSignal.wakeDescriptor, &byte, 1)
        }
        sigemptyset(&action.sa_mask)
        action.sa_flags = SA_RESTART
        sigaction(SIGTERM, &action, nil)
        sigaction(SIGINT, &action, nil)
        // A launcher may exec timmyd with these blocked (systemd-socket-activate does):
        // a blocked SIGTERM would never reach the handler.
        var stopSignals = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, nil)
    }

    /// Returns once SIGTERM or SIGINT arrived (at any time after `install()`).
    static func wait() async {
        let queue = DispatchQueue(label: "timmyd.shutdown")
        let source = DispatchSource.makeReadSource(fileDescriptor: readDescriptor, queue: queue)
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            source.setEventHandler {
                source.cancel()
                continuation.resume()
            }
            source.resume()
        }
    }
}
