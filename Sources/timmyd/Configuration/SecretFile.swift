#if canImport(Glibc)
import Glibc
#endif

/// Reads a file that holds a secret, refusing it the way ssh refuses a private key
/// that others can read: it must be a regular file with no group or other access.
enum SecretFile {
    static func read(_ path: String, for variable: String) throws -> String {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw ConfigurationError("\(variable): cannot read \(path): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw ConfigurationError("\(variable): \(path) is not a regular file")
        }
        guard info.st_mode & 0o077 == 0 else {
            let mode = String(info.st_mode & 0o777, radix: 8)
            throw ConfigurationError(
                "\(variable): \(path) has mode \(mode), readable by group or others; run chmod 600 on it")
        }
        guard let text = readWholeFile(path, limit: 64 * 1024) else {
            throw ConfigurationError("\(variable): cannot read \(path), or it is larger than 64 KiB")
        }
        // One trailing newline is what editors and `echo` leave; it is not part of the secret.
        var secret = text
        // "\r\n" is one Character in Swift, so hasSuffix("\n") alone would keep a CRLF ending.
        while let last = secret.last, last == "\n" || last == "\r" || last == "\r\n" { secret.removeLast() }
        guard !secret.isEmpty else { throw ConfigurationError("\(variable): \(path) is empty") }
        return secret
    }
}

/// The whole file as UTF-8 text, nil if it cannot be read or exceeds `limit` bytes.
func readWholeFile(_ path: String, limit: Int) -> String? {
    readWholeFileAndMode(path, limit: limit)?.text
}

/// The whole file, its mode and its owner, all from the one open descriptor (so they
/// describe the bytes read, not a file swapped in between).
func readWholeFileAndMode(_ path: String, limit: Int) -> (text: String, mode: mode_t, owner: uid_t)? {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { return nil }
    defer { close(descriptor) }
    var info = stat()
    guard fstat(descriptor, &info) == 0 else { return nil }
    guard let bytes = readToEnd(descriptor, limit: limit) else { return nil }
    return (String(decoding: bytes, as: UTF8.self), info.st_mode, info.st_uid)
}
