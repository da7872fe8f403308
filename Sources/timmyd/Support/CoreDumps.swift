import CProcessControl

#if canImport(Glibc)
import Glibc
#endif

/// timmyd's memory holds the operator's secrets and unclaimed SSH private keys; a
/// core file would write them to disk for anyone who can read the dump folder.
enum CoreDumps {
    /// Turns core dumps off for this process before any secret is read: the core size
    /// limit becomes 0 (soft and hard), and the process is marked non-dumpable, which
    /// also keeps same-uid processes from ptrace and from its `/proc/PID` files.
    ///
    /// - Returns: nil when both took effect, else what failed (timmyd then refuses to start).
    static func disable() -> String? {
        if timmy_set_core_limit_zero() != 0 { return "setrlimit(RLIMIT_CORE, 0): \(String(cString: strerror(errno)))" }
        if timmy_set_not_dumpable() != 0 { return "prctl(PR_SET_DUMPABLE, 0): \(String(cString: strerror(errno)))" }
        return nil
    }
}
