/// Where a purchase stands. See the job state machine in timmyd for the allowed moves.
public enum JobState: String, Sendable, CaseIterable, JSONConvertible {
    case awaitingPayment = "awaiting_payment"
    case provisioning
    case ready
    case failed
    case expired
    case cancelled
    case refunding
    case refunded
    case destroyed

    /// A state with no automatic way out: `bootstrap.watch` ends on one.
    public var isSettled: Bool {
        switch self {
        case .awaitingPayment, .provisioning, .refunding: false
        case .ready, .failed, .expired, .cancelled, .refunded, .destroyed: true
        }
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        guard let text = json.stringValue, let state = JobState(rawValue: text) else {
            let known = JobState.allCases.map(\.rawValue).joined(separator: ", ")
            throw .invalidParams("state must be one of: \(known)", field: "state")
        }
        self = state
    }

    public var json: JSONValue { .string(rawValue) }
}

/// The last provisioning step a job completed. Each is recorded before the next begins,
/// so a restarted daemon resumes from here and never creates a resource twice.
public enum ProvisionPhase: String, Sendable, CaseIterable, Comparable {
    case queued
    case sshKeyUploaded = "ssh_key_uploaded"
    case volumeCreated = "volume_created"
    case tailscaleKeyCreated = "tailscale_key_created"
    case dropletCreated = "droplet_created"
    case dropletActive = "droplet_active"
    case accountKeyRemoved = "account_key_removed"

    public static func < (lhs: ProvisionPhase, rhs: ProvisionPhase) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }

    /// The step after this one, nil after the last.
    public var next: ProvisionPhase? {
        let index = Self.allCases.firstIndex(of: self)! + 1
        return index < Self.allCases.count ? Self.allCases[index] : nil
    }
}
