/// `node.setup` in a job's status: how the node's own software install is going.
///
/// "Ready" means the machine is up and its key can be claimed; the node then installs
/// its software for several minutes and reports each step. `reported` is false when
/// this node was built without a report URL (timmyd had no `NODE_CALLBACK_URL`, or its
/// provisioning is stubbed): then nothing more will be known. With reports on, `step`, `state` and `updatedAt` appear
/// once the first report arrived.
public struct NodeSetupStatus: Sendable, Equatable, JSONConvertible {
    public var reported: Bool
    public var step: NodeSetupStep?
    public var state: NodeSetupState?
    /// The script's own short note, e.g. what failed.
    public var message: String?
    /// RFC 3339, UTC: when the last report arrived.
    public var updatedAt: String?

    public init(
        reported: Bool, step: NodeSetupStep? = nil, state: NodeSetupState? = nil, message: String? = nil,
        updatedAt: String? = nil
    ) {
        self.reported = reported
        self.step = step
        self.state = state
        self.message = message
        self.updatedAt = updatedAt
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(reply: json)
        reported = try fields.bool("reported")
        step = try fields.optional("step", as: NodeSetupStep.self)
        state = try fields.optional("state", as: NodeSetupState.self)
        message = try fields.optionalString("message")
        updatedAt = try fields.optionalString("updatedAt")
    }

    public var json: JSONValue {
        .object(dropping: [
            "reported": .bool(reported), "step": step?.json, "state": state?.json,
            "message": message.map(JSONValue.string), "updatedAt": updatedAt.map(JSONValue.string),
        ])
    }

    /// The node's software is all running.
    public var isComplete: Bool { step == .complete && state == .done }

    /// A step failed: the buyer has to look (see `NodeSetupStatus.failureAdvice`).
    public var hasFailed: Bool { state == .failed }

    /// Reports are on and more are expected: neither complete nor failed yet.
    public var isPending: Bool { reported && !isComplete && !hasFailed }

    /// What a buyer does when a step failed.
    public static let failureAdvice = [
        "Log in to the node with ssh and read /var/log/timmy-node-setup.log to see what went wrong.",
        "Run the setup again: bash /opt/timmy-node/setup.sh",
    ]
}

extension JobStatus {
    /// Nothing more will change without someone acting: a settled state, and for a ready
    /// node whose setup is reported, its setup complete or failed. `bootstrap.watch`
    /// ends here.
    public var isFinal: Bool {
        guard state.isSettled else { return false }
        return !(state == .ready && node?.setup?.isPending == true)
    }
}
