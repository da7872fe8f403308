#if canImport(Glibc)
import Glibc
#endif

/// What systemd hands the daemon through its environment: a listening socket
/// (`LISTEN_PID`, `LISTEN_FDS`, `LISTEN_FDNAMES`, descriptors from 3 on) and the
/// notification socket (`NOTIFY_SOCKET`, `WATCHDOG_USEC`, `WATCHDOG_PID`).
///
/// Read once at start; `takeFromProcess()` also unsets the variables, so programs
/// the daemon might start do not think the socket or the notifications are theirs.
struct SystemdEnvironment: Sendable, Equatable {
    /// The first descriptor systemd passes (`SD_LISTEN_FDS_START`).
    static let firstDescriptor: Int32 = 3
    static let variables = [
        "LISTEN_PID", "LISTEN_FDS", "LISTEN_FDNAMES", "NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID",
    ]

    /// The handed-over listening socket, if any.
    var listenDescriptor: Int32?
    /// Where to send `READY=1` and friends, if anywhere.
    var notifySocket: String?
    /// How often systemd expects `WATCHDOG=1`, if it does.
    var watchdogInterval: Duration?

    static let none = SystemdEnvironment()

    init(listenDescriptor: Int32? = nil, notifySocket: String? = nil, watchdogInterval: Duration? = nil) {
        self.listenDescriptor = listenDescriptor
        self.notifySocket = notifySocket
        self.watchdogInterval = watchdogInterval
    }

    /// Parses the variables for process `pid`. Variables meant for another process
    /// (a parent that did not unset them) are ignored, as `sd_listen_fds` does.
    init(_ environment: [String: String], pid: Int32) throws(ConfigurationError) {
        if let listenPID = environment["LISTEN_PID"], Int32(listenPID) == pid, let countText = environment["LISTEN_FDS"] {
            guard let count = Int(countText), count >= 0 else {
                throw ConfigurationError("LISTEN_FDS is not a number: \(countText)")
            }
            listenDescriptor = try Self.pickListener(count: count, names: environment["LISTEN_FDNAMES"])
        }
        if let path = environment["NOTIFY_SOCKET"], !path.isEmpty {
            notifySocket = path
        }
        let watchdogForUs = environment["WATCHDOG_PID"].map { Int32($0) == pid } ?? true
        if watchdogForUs, let text = environment["WATCHDOG_USEC"], let microseconds = Int64(text), microseconds > 0 {
            watchdogInterval = .microseconds(microseconds)
        }
    }

    /// One socket is the usual case. With several (a unit listing more), the one named
    /// `timmyd` or `timmyd.socket` (`FileDescriptorName=`, by default the unit's name).
    private static func pickListener(count: Int, names: String?) throws(ConfigurationError) -> Int32? {
        switch count {
        case 0: return nil
        case 1: return firstDescriptor
        default:
            let names = names?.split(separator: ":", omittingEmptySubsequences: false).map(String.init) ?? []
            guard names.count == count, let index = names.firstIndex(where: { $0 == "timmyd" || $0 == "timmyd.socket" })
            else {
                throw ConfigurationError(
                    "systemd passed \(count) sockets; name the one for timmyd FileDescriptorName=timmyd")
            }
            return firstDescriptor + Int32(index)
        }
    }

    /// Reads this process's variables and unsets them.
    static func takeFromProcess() throws(ConfigurationError) -> SystemdEnvironment {
        let parsed = try SystemdEnvironment(ProcessEnvironment.current(), pid: getpid())
        for name in variables { unsetenv(name) }
        return parsed
    }
}
