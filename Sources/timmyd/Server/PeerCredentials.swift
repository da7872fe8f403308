#if canImport(Glibc)
import Glibc
#endif
import Protocol

/// `struct ucred` as SO_PEERCRED fills it. glibc hides the C type without
/// `_GNU_SOURCE`, so this is a layout-compatible copy.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}

/// Decides a peer's role: admin is uid 0, the daemon's own uid, or a member of
/// the admin group (all of the user's groups, not only the primary gid the
/// kernel reports); everyone else who can open the socket is a client.
struct RoleResolver: Sendable {
    let daemonUID: UInt32
    let adminGroupID: UInt32?

    init(adminGroup: String?) {
        daemonUID = getuid()
        adminGroupID = adminGroup.flatMap { name in getgrnam(name).map { $0.pointee.gr_gid } }
    }

    func role(of peer: PeerCredentials) -> CallerRole {
        if peer.uid == 0 || peer.uid == daemonUID { return .admin }
        guard let adminGroupID else { return .client }
        if peer.gid == adminGroupID { return .admin }
        return Self.groups(ofUID: peer.uid).contains(adminGroupID) ? .admin : .client
    }

    static func groups(ofUID uid: UInt32) -> [UInt32] {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>? = nil
        var scratch = [CChar](repeating: 0, count: 16 * 1024)
        guard getpwuid_r(uid, &entry, &scratch, scratch.count, &result) == 0, result != nil, let name = entry.pw_name
        else { return [] }
        var count: Int32 = 64
        while true {
            var groups = [gid_t](repeating: 0, count: Int(count))
            let previous = count
            if getgrouplist(name, entry.pw_gid, &groups, &count) >= 0 {
                return Array(groups.prefix(Int(count)))
            }
            if count <= previous { count = previous * 2 }
        }
    }
}
