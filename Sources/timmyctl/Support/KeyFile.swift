#if canImport(Glibc)
import Glibc
#endif

/// The file a claimed private key goes into. It is created (exclusively, mode
/// 0600) before the key is claimed: the daemon hands the key out only once, so
/// there must be somewhere safe to put it before asking.
final class KeyFile {
    let path: String
    private var descriptor: Int32

    init(creating path: String) throws {
        self.path = path
        descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw LocalFileError("cannot create \(path): \(String(cString: strerror(errno))) (the key file must not exist yet)")
        }
    }

    func write(_ text: String) throws {
        guard writeAll(descriptor, text) else {
            throw LocalFileError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        guard fsync(descriptor) == 0 else { throw LocalFileError("cannot sync \(path)") }
        close(descriptor)
        descriptor = -1
    }

    /// Removes the empty file when the claim did not happen.
    func discard() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        unlink(path)
    }
}
