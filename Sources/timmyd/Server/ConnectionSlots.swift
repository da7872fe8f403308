/// The socket's connection slots. Admins may use all `total`; everyone else only
/// `total - reservedForAdmins`, so clients (local or from the web) filling every slot
/// they may use still leave room for the operator. Decided after the peer's
/// credentials are read, before any byte of the connection is served.
struct ConnectionSlots: Sendable, Equatable {
    enum Admission: Equatable {
        /// A slot anyone may use.
        case shared
        /// One of the slots kept for admins.
        case reserved
    }

    let total: Int
    let reservedForAdmins: Int
    private(set) var inUse = 0

    init(total: Int, reservedForAdmins: Int) {
        self.total = total
        self.reservedForAdmins = min(reservedForAdmins, total)
    }

    /// Takes a slot for a caller, or nil when there is none it may use.
    mutating func admit(isAdmin: Bool) -> Admission? {
        if inUse < total - reservedForAdmins {
            inUse += 1
            return .shared
        }
        guard isAdmin, inUse < total else { return nil }
        inUse += 1
        return .reserved
    }

    mutating func release() {
        inUse -= 1
    }
}
