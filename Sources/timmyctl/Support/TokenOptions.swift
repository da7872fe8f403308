#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser

/// Where a job's access token comes from when it is given explicitly. `--token`
/// on the command line is visible to every local user in `ps`; a file only the
/// user can read, or standard input, is not.
struct TokenOptions: ParsableArguments {
    @Option(help: "The job's access token (visible to other users in `ps`; `-` reads it from standard input).")
    var token: String?

    @Option(help: "Read the access token from this file (it must not be readable by group or others).")
    var tokenFile: String?

    @Flag(help: "Read the access token from standard input.")
    var tokenStdin = false

    func validate() throws {
        let sources = [token != nil, tokenFile != nil, tokenStdin].filter { $0 }.count
        if sources > 1 { throw ValidationError("give the token one way: --token, --token-file or --token-stdin") }
    }

    /// The token given on the command line, in a file or on standard input; nil if none was.
    func explicitToken() throws -> String? {
        do {
            if token == "-" || tokenStdin { return try TokenInput.fromStandardInput() }
            if let tokenFile { return try TokenInput.fromFile(tokenFile) }
            return token
        } catch {
            Output.error("\(error)")
            throw ExitCode(ExitStatus.localFile)
        }
    }

    /// The explicit token, else the one `timmyctl new` stored for `jobID` (nil if none).
    func resolve(for jobID: String) throws -> String? {
        if let explicit = try explicitToken() { return explicit }
        do {
            return try TokenStore.forCurrentUser().token(for: jobID)
        } catch {
            Output.error("\(error)")
            throw ExitCode(ExitStatus.localFile)
        }
    }
}

/// Reads a token from a private file or from standard input: one line, at most 4 KiB.
enum TokenInput {
    static func fromFile(_ path: String) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw LocalFileError("cannot read \(path): \(String(cString: strerror(errno)))") }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw LocalFileError("\(path) is not a regular file")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw LocalFileError(
                "\(path) has mode \(String(info.st_mode & 0o777, radix: 8)), readable by group or others; run chmod 600 on it")
        }
        return try token(from: readUpTo(descriptor, limit: 4096), source: path)
    }

    static func fromStandardInput() throws -> String {
        try token(from: readUpTo(0, limit: 4096), source: "standard input")
    }

    private static func token(from text: String, source: String) throws -> String {
        let token = text.trimmingCharacters(in: "\n\r \t").drop { $0 == " " || $0 == "\t" }
        guard !token.isEmpty, !token.contains(where: { $0 == "\n" || $0 == " " }) else {
            throw LocalFileError("\(source) must hold exactly one access token")
        }
        return String(token)
    }
}
