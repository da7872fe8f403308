#if canImport(Glibc)
import Glibc
#endif

/// The file a claimed private key goes into. It is created (exclusively, mode
/// 0600) before the key is claimed, so there is somewhere safe to put it before
/// asking; it is read back before receipt is confirmed (after which the daemon
/// wipes its copy).
final class KeyFile {
    let path: String
    private var descriptor: Int32

    init(creating path: String) throws {
        self.path = path
        descriptor = try createPrivateFile(path, kind: "key file")
    }

    func write(_ text: String) throws {
        guard writeAll(descriptor, text) else {
            throw LocalFileError("cannot write \(path): \(String(cString: strerror(errno)))")
        }
        guard fsync(descriptor) == 0 else { throw LocalFileError("cannot sync \(path)") }
        close(descriptor)
        descriptor = -1
    }

    /// What reached the file, read through a new descriptor (after `write`).
    func readBack() throws -> String {
        let reader = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard reader >= 0 else { throw LocalFileError("cannot read back \(path): \(String(cString: strerror(errno)))") }
        defer { close(reader) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(reader, &buffer, buffer.count)
            if count < 0 && errno == EINTR { continue }
            guard count >= 0 else { throw LocalFileError("cannot read back \(path): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            bytes += buffer[0..<count]
            guard bytes.count <= 1 << 20 else { throw LocalFileError("\(path) grew while being written") }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Removes the file when the key did not (or not intact) reach it.
    func discard() {
        if descriptor >= 0 { close(descriptor) }
        descriptor = -1
        unlink(path)
    }
}
