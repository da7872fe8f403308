#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The 32-byte master key on disk, owned by the daemon's user, mode 0600.
enum MasterKeyFile {
    static let keyLength = 32

    /// Loads the key at `path`, or creates it if there is no file there.
    ///
    /// Creation is race-safe: the key is written to a fresh temporary file
    /// (O_CREAT|O_EXCL, mode 0600) beside `path`, fsync'd, then published with
    /// link(2), which never replaces an existing file. A concurrent creator
    /// therefore loses cleanly and loads the winner's key, and a reader never
    /// sees a partly written file.
    ///
    /// Refuses a symbolic link, anything but a regular file, a file not owned
    /// by this user, a file group or others may read or write, and a file that
    /// is not exactly 32 bytes.
    static func loadOrCreate(at path: String) throws -> [UInt8] {
        if let key = try load(at: path) { return key }
        try create(at: path)
        guard let key = try load(at: path) else { throw problem(path, "vanished right after it was created") }
        return key
    }

    /// The key, or nil if nothing exists at `path`.
    private static func load(at path: String) throws -> [UInt8]? {
        // O_NONBLOCK so a FIFO cannot hang us; it has no effect on regular files.
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        if fd < 0 {
            let code = errno
            if code == ENOENT { return nil }
            if code == ELOOP { throw problem(path, "is a symbolic link; refusing to follow it") }
            throw problem(path, "cannot open for reading (\(describe(code)))")
        }
        defer { close(fd) }

        var info = stat()
        guard fstat(fd, &info) == 0 else { throw problem(path, "cannot stat (\(describe(errno)))") }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw problem(path, "is \(kindName(info.st_mode)), not a regular file")
        }
        guard info.st_uid == geteuid() else {
            throw problem(path, "is owned by uid \(info.st_uid), not by this process's uid \(geteuid())")
        }
        let permissions = info.st_mode & 0o7777
        guard permissions & 0o077 == 0 else {
            throw problem(path, "has mode \(octal(permissions)), so group or others can access it; it must be 0600 (chmod 600)")
        }
        guard info.st_size == keyLength else {
            throw problem(path, "is \(info.st_size) bytes; a master key file must be exactly \(keyLength) bytes")
        }

        var key = [UInt8](repeating: 0, count: keyLength + 1)
        var filled = 0
        while filled < key.count {
            let n = key.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                secureZero(&key)
                throw problem(path, "read failed (\(describe(code)))")
            }
            if n == 0 { break }
            filled += n
        }
        guard filled == keyLength else {
            secureZero(&key)
            throw problem(path, "changed size while being read; a master key file must be exactly \(keyLength) bytes")
        }
        key.removeLast()
        return key
    }

    private static func create(at path: String) throws {
        let directory = parentDirectory(of: path)
        let temporary = path + ".tmp-" + CryptoRandom.bytes(8).hexString
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw problem(path, "cannot create \(temporary) (\(describe(errno)))") }
        var linked = false
        defer { unlink(temporary) }

        var key = CryptoRandom.bytes(keyLength)
        defer { secureZero(&key) }
        do {
            defer { close(fd) }
            // The umask may have removed bits from 0600, never added them; make it exact.
            guard fchmod(fd, 0o600) == 0 else { throw problem(path, "cannot chmod \(temporary) (\(describe(errno)))") }
            var written = 0
            while written < key.count {
                let n = key.withUnsafeBytes { write(fd, $0.baseAddress! + written, $0.count - written) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw problem(path, "cannot write \(temporary) (\(describe(errno)))")
                }
                written += n
            }
            guard fsync(fd) == 0 else { throw problem(path, "cannot fsync \(temporary) (\(describe(errno)))") }
        }

        if link(temporary, path) == 0 {
            linked = true
        } else if errno != EEXIST {
            throw problem(path, "cannot link the new key into place (\(describe(errno)))")
        }
        // EEXIST: another process created the key first; the caller loads theirs.
        if linked { syncDirectory(directory) }
    }

    /// Makes the new directory entry durable. Best effort: the key itself is already on disk.
    private static func syncDirectory(_ directory: String) {
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { return }
        _ = fsync(fd)
        close(fd)
    }

    private static func parentDirectory(of path: String) -> String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        let parent = path[..<slash]
        return parent.isEmpty ? "/" : String(parent)
    }

    private static func problem(_ path: String, _ text: String) -> KeyError {
        KeyError.masterKeyFile(path: path, problem: text)
    }

    private static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    private static func octal(_ mode: mode_t) -> String {
        let digits = String(mode, radix: 8)
        return String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }

    private static func kindName(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: return "a directory"
        case S_IFIFO: return "a FIFO"
        case S_IFSOCK: return "a socket"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFLNK: return "a symbolic link"
        default: return "an unknown kind of file"
        }
    }
}
