#if canImport(Glibc)
import Glibc
#endif

/// Remembers access tokens from `timmyctl new`, so later commands need only the job id.
///
/// One file per user (`$TIMMY_TOKEN_FILE`, else `$XDG_STATE_HOME/timmyctl/tokens`, else
/// `$HOME/.local/state/timmyctl/tokens`), mode 0600, lines of `JOB TOKEN`. There is no
/// shared fallback such as `/tmp`: another local user could read or plant tokens there.
///
/// - Important: the folder must belong to the user and be writable by nobody else
///   (its ancestors: the user's or root's, or sticky like `/tmp`), or another user could
///   swap the file or its temporary copy. The file is rewritten through a temporary file
///   with an unguessable name, created exclusively without following links, then `rename`d,
///   so a crash never leaves half a file and no pre-planted link is ever written through.
struct TokenStore {
    let path: String

    /// Where the current user's tokens live; an error when neither `TIMMY_TOKEN_FILE`,
    /// `XDG_STATE_HOME` nor `HOME` says.
    static func forCurrentUser() throws -> TokenStore {
        if let explicit = Environment.value("TIMMY_TOKEN_FILE") { return TokenStore(path: explicit) }
        // Relative values are ignored, as the XDG specification says.
        if let state = Environment.value("XDG_STATE_HOME"), state.hasPrefix("/") {
            return TokenStore(path: state + "/timmyctl/tokens")
        }
        guard let home = Environment.value("HOME"), home.hasPrefix("/") else {
            throw LocalFileError(
                "HOME is not set, so there is no private place for access tokens; "
                    + "set TIMMY_TOKEN_FILE (a file in a folder only you can write), or pass --token-file or --token-stdin")
        }
        return TokenStore(path: home + "/.local/state/timmyctl/tokens")
    }

    /// The stored token of a job; nil if none. Throws when the store is not private.
    func token(for jobID: String) throws -> String? {
        try entries()[jobID]
    }

    /// Creates the folders (0700) and checks that the store is private, before anything
    /// depends on saving a token.
    func prepare() throws {
        try makeParentFolders()
        try FolderSafety.check(folder: folder, forFileAt: path)
    }

    func save(token: String, for jobID: String) throws {
        try prepare()
        var all = try entries()
        all[jobID] = token
        let text = all.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)\n" }.joined()
        let temporary = path + ".tmp." + Self.randomSuffix()
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw LocalFileError("cannot create \(temporary): \(String(cString: strerror(errno)))") }
        // The umask may only narrow the mode; fchmod makes it exactly 0600 whatever it is.
        let written = fchmod(descriptor, 0o600) == 0 && writeAll(descriptor, text) && fsync(descriptor) == 0
        close(descriptor)
        guard written, rename(temporary, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporary)
            throw LocalFileError("cannot save the access token in \(path): \(reason)")
        }
    }

    private var folder: String {
        guard let slash = path.lastIndex(of: "/") else { return "." }
        return slash == path.startIndex ? "/" : String(path[..<slash])
    }

    private func entries() throws -> [String: String] {
        let descriptor = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)
        if descriptor < 0 && errno == ENOENT { return [:] }
        guard descriptor >= 0 else { throw LocalFileError("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        try FolderSafety.check(folder: folder, forFileAt: path)
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, info.st_uid == geteuid() else {
            throw LocalFileError("\(path) is not a regular file of yours; remove it")
        }
        var result: [String: String] = [:]
        for line in readUpTo(descriptor, limit: 1 << 20).split(separator: "\n") {
            let parts = line.split(separator: " ")
            if parts.count == 2 { result[String(parts[0])] = String(parts[1]) }
        }
        return result
    }

    private func makeParentFolders() throws {
        var prefix = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/").dropLast() {
            prefix += "/" + component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw LocalFileError("cannot create \(prefix): \(String(cString: strerror(errno)))")
            }
        }
    }

    /// 128 random bits in hex: a name another user cannot guess and pre-create.
    private static func randomSuffix() -> String {
        var generator = SystemRandomNumberGenerator()
        return (0..<2).map { _ in
            let hex = String(generator.next() as UInt64, radix: 16)
            return String(repeating: "0", count: 16 - hex.count) + hex
        }.joined()
    }
}

/// Whether a folder is private enough to hold a secret file, as ssh judges
/// `~/.ssh`: owned by the user, writable by no one else; every folder above it
/// owned by the user or root and writable by no one else unless sticky (`/tmp`).
enum FolderSafety {
    static func check(folder: String, forFileAt file: String) throws {
        let user = geteuid()
        var info = stat()
        guard lstat(folder, &info) == 0 else {
            throw LocalFileError("cannot check \(folder): \(String(cString: strerror(errno)))")
        }
        guard (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == user, info.st_mode & 0o022 == 0 else {
            throw LocalFileError(
                "refusing to keep \(file) in \(folder): that folder must be yours and writable by no one else "
                    + "(owner uid \(info.st_uid), mode \(String(info.st_mode & 0o7777, radix: 8)))")
        }
        var current = folder
        while let slash = current.lastIndex(of: "/"), current != "/" {
            current = slash == current.startIndex ? "/" : String(current[..<slash])
            guard stat(current, &info) == 0 else { continue }
            let othersMayWrite = info.st_mode & 0o022 != 0 && info.st_mode & S_ISVTX == 0
            guard info.st_uid == user || info.st_uid == 0, !othersMayWrite else {
                throw LocalFileError(
                    "refusing to keep \(file) under \(current): another user may write there "
                        + "(owner uid \(info.st_uid), mode \(String(info.st_mode & 0o7777, radix: 8)))")
            }
        }
    }
}

/// Up to `limit` bytes from `descriptor` as UTF-8 text (the rest is ignored).
func readUpTo(_ descriptor: Int32, limit: Int) -> String {
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 4096)
    while bytes.count < limit {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 && errno == EINTR { continue }
        guard count > 0 else { break }
        bytes += chunk[0..<count]
    }
    return String(decoding: bytes.prefix(limit), as: UTF8.self)
}

struct LocalFileError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

extension String {
    func trimmingCharacters(in set: String) -> String {
        var result = Substring(self)
        while let last = result.last, set.contains(last) { result.removeLast() }
        return String(result)
    }
}
