#if canImport(Glibc)
import Glibc
#endif

/// The state folder: created 0700 if missing; refused if others can enter it.
enum StateDirectory {
    static func prepare(_ path: String) throws {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw ConfigurationError("cannot create the state folder \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw ConfigurationError("the state folder \(path) is not a folder")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw ConfigurationError(
                "the state folder \(path) has mode \(String(info.st_mode & 0o777, radix: 8)); it holds keys: chmod 700 it")
        }
    }
}
