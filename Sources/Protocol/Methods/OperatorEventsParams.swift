/// `admin.events` params: the operator events with an id above `since` (all when
/// absent), at most `limit` of them; with `follow: true`, each later event arrives as an
/// `admin.events.event` notification on the same connection until it closes.
public struct OperatorEventsParams: Sendable, Equatable, JSONConvertible {
    public static let defaultLimit: Int64 = 100
    public static let maximumLimit: Int64 = 1000

    public var since: Int64
    public var limit: Int64
    public var follow: Bool

    public init(since: Int64 = 0, limit: Int64 = OperatorEventsParams.defaultLimit, follow: Bool = false) {
        self.since = since
        self.limit = limit
        self.follow = follow
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(json, allowed: Self.memberNames)
        since = try fields.optionalInt("since") ?? 0
        guard since >= 0 else { throw .invalidParams("since must be an event id (0 or more)", field: "since") }
        limit = try fields.optionalInt("limit") ?? Self.defaultLimit
        guard (1...Self.maximumLimit).contains(limit) else {
            throw .invalidParams("limit must be from 1 to \(Self.maximumLimit)", field: "limit")
        }
        follow = try fields.optionalBool("follow") ?? false
    }

    public var json: JSONValue { ["since": .int(since), "limit": .int(limit), "follow": .bool(follow)] }
}
