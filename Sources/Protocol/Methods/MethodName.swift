/// The name of every method timmyd serves; `RPCMethods` describes each.
public enum MethodName: String, Sendable, CaseIterable {
    case discover = "rpc.discover"
    case daemonInfo = "daemon.info"
    case create = "bootstrap.create"
    case status = "bootstrap.status"
    case watch = "bootstrap.watch"
    case claimKey = "bootstrap.claimKey"
    case confirmKey = "bootstrap.confirmKey"
    case cancel = "bootstrap.cancel"
    case refund = "bootstrap.refund"
    case jobsList = "admin.jobs.list"
    case jobsGet = "admin.jobs.get"
    case jobsRefund = "admin.jobs.refund"
    case stats = "admin.stats"
    case simulatePayment = "admin.payments.simulate"
    case userDataRender = "admin.userData.render"
    case jobsRetry = "admin.jobs.retry"
    case jobsDestroy = "admin.jobs.destroy"
    case reconcile = "admin.reconcile"
    case backup = "admin.backup"
    case events = "admin.events"

    /// The notification `bootstrap.watch` sends after each change.
    public static let changedNotification = "bootstrap.changed"

    /// The notifications `admin.backup` sends after its reply: the copy's bytes, in order.
    public static let backupChunkNotification = "admin.backup.chunk"

    /// The notifications `admin.events` with `follow` sends: one recorded operator event each.
    public static let eventNotification = "admin.events.event"

    /// The role its descriptor names (`RPCMethods`); a name without one (a test
    /// refuses that) falls back to admin for `admin.` names, so it is never laxer.
    public var requiredRole: CallerRole {
        RPCMethods.described(self)?.role ?? (rawValue.hasPrefix("admin.") ? .admin : .client)
    }
}

/// What a caller may do, decided by the daemon from the socket peer's credentials.
public enum CallerRole: String, Sendable, Comparable, CaseIterable {
    case client
    case admin

    public static func < (lhs: CallerRole, rhs: CallerRole) -> Bool { lhs == .client && rhs == .admin }
}
