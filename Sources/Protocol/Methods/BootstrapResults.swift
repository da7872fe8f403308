/// The Lightning invoice a buyer pays.
public struct InvoiceInfo: Sendable, Equatable, JSONConvertible {
    public var paymentRequest: String
    public var paymentHash: String
    public var amountSats: Int64
    /// RFC 3339, UTC.
    public var expiresAt: String

    public init(paymentRequest: String, paymentHash: String, amountSats: Int64, expiresAt: String) {
        self.paymentRequest = paymentRequest
        self.paymentHash = paymentHash
        self.amountSats = amountSats
        self.expiresAt = expiresAt
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(reply: json)
        paymentRequest = try fields.string("paymentRequest")
        paymentHash = try fields.string("paymentHash")
        amountSats = try fields.int("amountSats")
        expiresAt = try fields.string("expiresAt")
    }

    public var json: JSONValue {
        [
            "paymentRequest": .string(paymentRequest), "paymentHash": .string(paymentHash),
            "amountSats": .int(amountSats), "expiresAt": .string(expiresAt),
        ]
    }
}

/// What the buyer needs to reach their node. Nothing here is secret.
public struct NodeInfo: Sendable, Equatable, JSONConvertible {
    public var ipv4: String
    public var tailscaleHostname: String?
    public var lnbitsUrl: String?
    public var sshPublicKey: String
    public var sshKeyFingerprint: String
    /// How the node's own software install is going (nil from a daemon that does not say).
    public var setup: NodeSetupStatus?

    public init(
        ipv4: String, tailscaleHostname: String?, lnbitsUrl: String?, sshPublicKey: String, sshKeyFingerprint: String,
        setup: NodeSetupStatus? = nil
    ) {
        self.ipv4 = ipv4
        self.tailscaleHostname = tailscaleHostname
        self.lnbitsUrl = lnbitsUrl
        self.sshPublicKey = sshPublicKey
        self.sshKeyFingerprint = sshKeyFingerprint
        self.setup = setup
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(reply: json)
        ipv4 = try fields.string("ipv4")
        tailscaleHostname = try fields.optionalString("tailscaleHostname")
        lnbitsUrl = try fields.optionalString("lnbitsUrl")
        sshPublicKey = try fields.string("sshPublicKey")
        sshKeyFingerprint = try fields.string("sshKeyFingerprint")
        setup = try fields.optional("setup", as: NodeSetupStatus.self)
    }

    public var json: JSONValue {
        .object(dropping: [
            "ipv4": .string(ipv4), "tailscaleHostname": tailscaleHostname.map(JSONValue.string),
            "lnbitsUrl": lnbitsUrl.map(JSONValue.string), "sshPublicKey": .string(sshPublicKey),
            "sshKeyFingerprint": .string(sshKeyFingerprint), "setup": setup?.json,
        ])
    }
}

/// `bootstrap.create` result. The access token appears here once and never again.
public struct CreateJobResult: Sendable, Equatable, JSONConvertible {
    public var jobId: String
    public var accessToken: String
    public var state: JobState
    public var invoice: InvoiceInfo

    public init(jobId: String, accessToken: String, state: JobState, invoice: InvoiceInfo) {
        self.jobId = jobId
        self.accessToken = accessToken
        self.state = state
        self.invoice = invoice
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(reply: json)
        jobId = try fields.string("jobId")
        accessToken = try fields.string("accessToken")
        state = try fields.required("state", as: JobState.self)
        invoice = try fields.required("invoice", as: InvoiceInfo.self)
    }

    public var json: JSONValue {
        ["jobId": .string(jobId), "accessToken": .string(accessToken), "state": state.json, "invoice": invoice.json]
    }
}

/// `bootstrap.status` result, also the params of each `bootstrap.changed` notification.
public struct JobStatus: Sendable, Equatable, JSONConvertible {
    public var jobId: String
    public var state: JobState
    public var phase: String?
    public var amountSats: Int64
    public var createdAt: String
    public var updatedAt: String
    /// One sentence for the buyer about where things stand.
    public var message: String
    public var invoice: InvoiceInfo?
    public var node: NodeInfo?
    /// The key was delivered and timmyd no longer holds it (receipt confirmed, or not
    /// confirmed in time). False while a delivered key can still be claimed again.
    public var keyClaimed: Bool
    /// Fit for the buyer; the raw upstream error stays with the admin.
    public var error: String?
    public var nextSteps: [String]?

    public init(
        jobId: String, state: JobState, phase: String?, amountSats: Int64, createdAt: String, updatedAt: String,
        message: String, invoice: InvoiceInfo?, node: NodeInfo?, keyClaimed: Bool, error: String?,
        nextSteps: [String]?
    ) {
        self.jobId = jobId
        self.state = state
        self.phase = phase
        self.amountSats = amountSats
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.message = message
        self.invoice = invoice
        self.node = node
        self.keyClaimed = keyClaimed
        self.error = error
        self.nextSteps = nextSteps
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(reply: json)
        jobId = try fields.string("jobId")
        state = try fields.required("state", as: JobState.self)
        phase = try fields.optionalString("phase")
        amountSats = try fields.int("amountSats")
        createdAt = try fields.string("createdAt")
        updatedAt = try fields.string("updatedAt")
        message = try fields.string("message")
        invoice = try fields.optional("invoice", as: InvoiceInfo.self)
        node = try fields.optional("node", as: NodeInfo.self)
        keyClaimed = try fields.bool("keyClaimed")
        error = try fields.optionalString("error")
        nextSteps = fields.optionalValue("nextSteps")?.arrayValue?.compactMap(\.stringValue)
    }

    public var json: JSONValue {
        .object(dropping: [
            "jobId": .string(jobId), "state": state.json, "phase": .some(phase.map(JSONValue.string) ?? .null),
            "amountSats": .int(amountSats), "createdAt": .string(createdAt), "updatedAt": .string(updatedAt),
            "message": .string(message), "invoice": invoice?.json, "node": node?.json,
            "keyClaimed": .bool(keyClaimed), "error": error.map(JSONValue.string),
            "nextSteps": nextSteps.map { .array($0.map(JSONValue.string)) },
        ])
    }
}

/// `bootstrap.claimKey` result. The same key comes back on every claim until the
/// buyer confirms it (`bootstrap.confirmKey`) or `confirmBy` passes; then it is wiped.
public struct ClaimKeyResult: Sendable, Equatable, JSONConvertible {
    public var sshPrivateKey: String
    public var sshPublicKey: String
    public var sshKeyFingerprint: String
    /// RFC 3339 UTC: fixed at the first claim; a later claim does not move it.
    public var confirmBy: String

    public init(sshPrivateKey: String, sshPublicKey: String, sshKeyFingerprint: String, confirmBy: String) {
        self.sshPrivateKey = sshPrivateKey
        self.sshPublicKey = sshPublicKey
        self.sshKeyFingerprint = sshKeyFingerprint
        self.confirmBy = confirmBy
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(reply: json)
        sshPrivateKey = try fields.string("sshPrivateKey")
        sshPublicKey = try fields.string("sshPublicKey")
        sshKeyFingerprint = try fields.string("sshKeyFingerprint")
        confirmBy = try fields.string("confirmBy")
    }

    public var json: JSONValue {
        [
            "sshPrivateKey": .string(sshPrivateKey), "sshPublicKey": .string(sshPublicKey),
            "sshKeyFingerprint": .string(sshKeyFingerprint), "confirmBy": .string(confirmBy),
        ]
    }
}

/// `bootstrap.confirmKey` result: the key is wiped; timmyd holds no copy any more.
public struct ConfirmKeyResult: Sendable, Equatable, JSONConvertible {
    public var jobId: String
    public var sshKeyFingerprint: String
    /// RFC 3339 UTC: when the key was wiped.
    public var wipedAt: String

    public init(jobId: String, sshKeyFingerprint: String, wipedAt: String) {
        self.jobId = jobId
        self.sshKeyFingerprint = sshKeyFingerprint
        self.wipedAt = wipedAt
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(reply: json)
        jobId = try fields.string("jobId")
        sshKeyFingerprint = try fields.string("sshKeyFingerprint")
        wipedAt = try fields.string("wipedAt")
    }

    public var json: JSONValue {
        ["jobId": .string(jobId), "sshKeyFingerprint": .string(sshKeyFingerprint), "wipedAt": .string(wipedAt)]
    }
}
