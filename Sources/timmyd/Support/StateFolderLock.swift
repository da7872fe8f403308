#if canImport(Glibc)
import Glibc
#endif

/// An exclusive `flock` on `timmyd.lock` in the state folder, held for the daemon's life.
///
/// - Important: taken before anything else touches the folder (master key, database,
///   socket, resuming provisioning or refunds). Two daemons on one folder would both
///   resume the same jobs and both pay the same refunds; the second one must stop
///   before it does anything. The kernel drops the lock when the process ends, however
///   it ends, so a crash never leaves a stale lock behind.
final class StateFolderLock: Sendable {
    static let fileName = "timmyd.lock"
    private let descriptor: Int32

    private init(descriptor: Int32) {
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Takes the lock, or throws `StateFolderInUse` at once when another process holds it.
    static func acquire(stateDirectory: String) throws -> StateFolderLock {
        let path = stateDirectory + "/" + fileName
        // O_CLOEXEC: a child process (ssh-keygen, a shell) must not inherit, and so keep, the lock.
        let descriptor = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, mode_t(0o600))
        guard descriptor >= 0 else {
            throw ConfigurationError("cannot open the lock file \(path): \(String(cString: strerror(errno)))")
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            close(descriptor)
            if code == EWOULDBLOCK { throw StateFolderInUse(stateDirectory: stateDirectory) }
            throw ConfigurationError("cannot lock \(path): \(String(cString: strerror(code)))")
        }
        return StateFolderLock(descriptor: descriptor)
    }
}

/// Another process holds the state folder's lock: most likely a timmyd already running on it.
struct StateFolderInUse: Error, CustomStringConvertible {
    let stateDirectory: String

    /// `EX_TEMPFAIL`: the configuration is fine, the folder is busy; trying later may work.
    static let exitCode: Int32 = 75

    var description: String {
        "another timmyd is already running on the state folder \(stateDirectory) "
            + "(it holds \(stateDirectory)/\(StateFolderLock.fileName)); stop it first, or give this one its own --state-dir"
    }
}
