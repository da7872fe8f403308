import Protocol

/// The errors a caller over one of the abuse limits gets: each names the limit, so a
/// well-behaved program can tell "wait" from "you asked for too much".
extension JSONRPCError {
    /// What a watch cap counts.
    enum WatchScope: String {
        case connection
        case job
        case address
    }

    static func tooManyWatches(limit: Int, scope: WatchScope) -> JSONRPCError {
        let what =
            switch scope {
            case .connection: "on one connection"
            case .job: "of one job"
            case .address: "from one address"
            }
        return .application(
            .tooManyWatches, "At most \(limit) watches \(what) at once; close one first.",
            extra: ["limit": .int(Int64(limit)), "scope": .string(scope.rawValue)])
    }

    /// Every connection slot the caller may use is taken (the daemon-wide cap, not one address's).
    static let overloaded = JSONRPCError.application(.overloaded, "Too many connections; try again shortly.")

    static func tooManyConnections(limit: Int) -> JSONRPCError {
        .application(
            .tooManyConnections, "At most \(limit) connections from one address at once; close one first.",
            extra: ["limit": .int(Int64(limit))])
    }

    static func rateLimited(retryAfterSeconds: Int64) -> JSONRPCError {
        .application(
            .rateLimited, "Too many purchases started from your address; try again in \(retryAfterSeconds) s.",
            extra: ["retryAfterSeconds": .int(retryAfterSeconds)])
    }

    /// A batch over the cap is refused whole (-32600), so none of its calls runs.
    static func batchTooLong(limit: Int) -> JSONRPCError {
        JSONRPCError(
            code: invalidRequestCode, message: "A batch may hold at most \(limit) calls; none of this one ran.",
            data: ["reason": "batch_too_long", "limit": .int(Int64(limit))])
    }
}
