/// The steps a node's own setup script reports back to timmyd, in the order the
/// script runs them. `daemon.info` publishes this list (`nodeSetupSteps`); the
/// script may report no other step, and its last is always `complete`.
public enum NodeSetupStep: String, Sendable, CaseIterable, JSONConvertible {
    case packages
    case docker
    case tailscale
    case firewall
    case storage
    case images
    case bitcoind
    case lnd
    case lnbits
    case complete

    /// What the node is doing during this step, for a buyer: "installing LND".
    public var summary: String {
        switch self {
        case .packages: "installing system packages"
        case .docker: "installing Docker"
        case .tailscale: "joining the tailnet"
        case .firewall: "setting up the firewall"
        case .storage: "preparing the data disk"
        case .images: "downloading and verifying the node software"
        case .bitcoind: "starting Bitcoin Core"
        case .lnd: "starting LND and making its wallet"
        case .lnbits: "starting LNbits"
        case .complete: "finishing setup"
        }
    }

    /// 1-based position, for "step 6 of 10".
    public var number: Int { Self.allCases.firstIndex(of: self)! + 1 }

    public init(json: JSONValue) throws(JSONRPCError) {
        guard let text = json.stringValue, let step = NodeSetupStep(rawValue: text) else {
            let known = NodeSetupStep.allCases.map(\.rawValue).joined(separator: ", ")
            throw .invalidParams("step must be one of: \(known)", field: "step")
        }
        self = step
    }

    public var json: JSONValue { .string(rawValue) }
}

/// Where one reported setup step stands.
public enum NodeSetupState: String, Sendable, CaseIterable, JSONConvertible {
    case running
    case done
    case failed

    public init(json: JSONValue) throws(JSONRPCError) {
        guard let text = json.stringValue, let state = NodeSetupState(rawValue: text) else {
            throw .invalidParams("state must be one of: running, done, failed", field: "state")
        }
        self = state
    }

    public var json: JSONValue { .string(rawValue) }
}
