/// `admin.reconcile` params: list the cloud resources no live job owns, and with
/// `delete: true` remove them.
public struct ReconcileParams: Sendable, Equatable, JSONConvertible {
    public var delete: Bool

    public init(delete: Bool = false) { self.delete = delete }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(json, allowed: Self.memberNames)
        delete = try fields.optionalBool("delete") ?? false
    }

    public var json: JSONValue { ["delete": .bool(delete)] }
}
