/// `admin.userData.render` params: what to preview a node's user_data for.
public struct UserDataRenderParams: Sendable, Equatable, JSONConvertible {
    /// The block volume in GB (0 = none); nil means the daemon's configured plan.
    public var volumeGb: Int64?
    /// Render the Tailscale join, with a placeholder in place of the one-off key.
    public var tailscale: Bool

    public init(volumeGb: Int64? = nil, tailscale: Bool = false) {
        self.volumeGb = volumeGb
        self.tailscale = tailscale
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(json, allowed: Self.memberNames)
        volumeGb = try fields.optionalInt("volumeGb")
        tailscale = try fields.optionalBool("tailscale") ?? false
    }

    public var json: JSONValue {
        .object(dropping: ["volumeGb": volumeGb.map(JSONValue.int), "tailscale": .bool(tailscale)])
    }
}
