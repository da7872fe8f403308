#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A pthread mutex of type `PTHREAD_MUTEX_ERRORCHECK`.
///
/// Chosen over `NIOLock` because re-locking from the owning thread returns `EDEADLK`
/// instead of hanging (NIOLock deadlocks in release builds and traps in debug builds).
/// `SQLiteDatabase` turns that into a thrown error, so calling `db.execute` from inside
/// `db.transaction { … }` fails loudly instead of freezing the daemon.
final class ErrorCheckingMutex: @unchecked Sendable {
    private let mutex: UnsafeMutablePointer<pthread_mutex_t>

    init() {
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        var attr = pthread_mutexattr_t()
        pthread_mutexattr_init(&attr)
        pthread_mutexattr_settype(&attr, Int32(PTHREAD_MUTEX_ERRORCHECK))
        let rc = pthread_mutex_init(mutex, &attr)
        pthread_mutexattr_destroy(&attr)
        precondition(rc == 0, "pthread_mutex_init failed: \(rc)")
    }

    deinit {
        pthread_mutex_destroy(mutex)
        mutex.deinitialize(count: 1)
        mutex.deallocate()
    }

    /// Blocks until the mutex is held. Returns `false` (without locking) when the calling
    /// thread already holds it.
    func lock() -> Bool {
        let rc = pthread_mutex_lock(mutex)
        if rc == EDEADLK { return false }
        precondition(rc == 0, "pthread_mutex_lock failed: \(rc)")
        return true
    }

    func unlock() {
        let rc = pthread_mutex_unlock(mutex)
        precondition(rc == 0, "pthread_mutex_unlock failed: \(rc)")
    }
}
