#if canImport(Glibc)
import Glibc
#endif

/// Opens a new file at `path` for writing, as the user running timmyctl: exclusively (an
/// existing file, or a symlink there even to nowhere, is refused and left alone) and with
/// mode 0600. `kind` names it in the error ("key file", "backup file").
func createPrivateFile(_ path: String, kind: String) throws -> Int32 {
    let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
    guard descriptor >= 0 else {
        throw LocalFileError("cannot create \(path): \(String(cString: strerror(errno))) (the \(kind) must not exist yet)")
    }
    return descriptor
}
