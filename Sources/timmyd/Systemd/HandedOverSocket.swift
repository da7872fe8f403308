#if canImport(Glibc)
import Glibc
#endif

/// Checks a listening socket systemd handed over before the daemon serves on it:
/// it must be a listening Unix stream socket (a unit that says `ListenStream=` with
/// a path). Its file's mode and group are the unit's business (`SocketMode=`,
/// `SocketGroup=`), so the daemon leaves the file alone.
enum HandedOverSocket {
    /// Returns the socket's path (for logs); throws a configuration error otherwise.
    static func check(_ descriptor: Int32) throws(ConfigurationError) -> String {
        guard fcntl(descriptor, F_GETFD) >= 0 else {
            throw ConfigurationError("LISTEN_FDS names descriptor \(descriptor), which is not open")
        }
        guard integerOption(descriptor, SO_TYPE) == Int32(SOCK_STREAM.rawValue),
            integerOption(descriptor, SO_ACCEPTCONN) == 1
        else {
            throw ConfigurationError("the socket systemd passed (descriptor \(descriptor)) is not a listening stream socket")
        }
        var address = sockaddr_un()
        var length = socklen_t(MemoryLayout<sockaddr_un>.size)
        let named = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(descriptor, $0, &length) }
        }
        guard named == 0, address.sun_family == sa_family_t(AF_UNIX) else {
            throw ConfigurationError(
                "the socket systemd passed (descriptor \(descriptor)) is not a Unix socket; timmyd listens on a path (ListenStream=/run/timmyd/timmyd.sock)")
        }
        // Not inherited by anything the daemon starts.
        _ = fcntl(descriptor, F_SETFD, FD_CLOEXEC)
        return withUnsafeBytes(of: address.sun_path) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }

    private static func integerOption(_ descriptor: Int32, _ name: Int32) -> Int32? {
        var value: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        return getsockopt(descriptor, SOL_SOCKET, name, &value, &length) == 0 ? value : nil
    }
}
