#if canImport(Glibc)
import Glibc
#endif

/// Remembers access tokens from `timmyctl new`, so later commands need only the job id.
///
/// One file per user (`$TIMMY_TOKEN_FILE`, else `$XDG_STATE_HOME/timmyctl/tokens`, else
/// `~/.local/state/timmyctl/tokens`), mode 0600 in a 0700 folder, lines of `JOB TOKEN`.
/// Rewritten through a temporary file and `rename`, so a crash never leaves half a file.
struct TokenStore {
    let path: String

    static func forCurrentUser() -> TokenStore {
        if let explicit = Environment.value("TIMMY_TOKEN_FILE") { return TokenStore(path: explicit) }
        let base = Environment.value("XDG_STATE_HOME") ?? ((Environment.value("HOME") ?? "/tmp") + "/.local/state")
        return TokenStore(path: base + "/timmyctl/tokens")
    }

    func token(for jobID: String) -> String? {
        entries()[jobID]
    }

    func save(token: String, for jobID: String) throws {
        var all = entries()
        all[jobID] = token
        try makeParentFolders()
        let text = all.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)\n" }.joined()
        let temporary = path + ".tmp.\(getpid())"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else { throw LocalFileError("cannot write \(temporary): \(String(cString: strerror(errno)))") }
        let written = writeAll(descriptor, text)
        let synced = fsync(descriptor)
        close(descriptor)
        guard written, synced == 0, rename(temporary, path) == 0 else {
            unlink(temporary)
            throw LocalFileError("cannot save the access token in \(path): \(String(cString: strerror(errno)))")
        }
    }

    private func entries() -> [String: String] {
        var result: [String: String] = [:]
        for line in (LocalFiles.read(path) ?? "").split(separator: "\n") {
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
