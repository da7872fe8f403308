/// What an admin sees of a job (`admin.jobs.list`, `admin.jobs.retry`, `admin.jobs.destroy`):
/// everything but the secrets (sealed key, preimage, token hash), plus the raw error.
public struct AdminJob: Sendable, Equatable, RPCResult, RPCSchemaComponent {
    public var jobId: String
    public var state: JobState
    public var phase: ProvisionPhase?
    public var label: String?
    public var amountSats: Int64
    public var paymentHash: String
    public var invoiceExpiresAt: String
    public var paidAt: String?
    public var plan: PlanInfo
    public var sshKeyFingerprint: String?
    public var buyerSuppliedKey: Bool
    public var keyHeld: Bool
    public var keyClaimedAt: String?
    public var keyConfirmBy: String?
    public var keyWipedAt: String?
    public var dropletId: String?
    public var volumeId: String?
    public var accountSshKeyId: String?
    public var tailscaleKeyId: String?
    public var nodeIpv4: String?
    public var tailscaleHostname: String?
    /// The buyer's sentence.
    public var error: String?
    /// The raw upstream error, for the operator alone.
    public var errorDetail: String?
    public var errorReason: String?
    public var createdAt: String
    public var updatedAt: String
    public var readyAt: String?
    public var refundAmountSats: Int64?
    public var refundPaymentHash: String?
    public var refundedAt: String?
    /// The buyer supplied their own Tailscale auth key (never shown).
    public var buyerTailscaleKey: Bool
    /// Ready jobs only.
    public var nodeSetup: NodeSetupStatus?

    public init(
        jobId: String, state: JobState, phase: ProvisionPhase? = nil, label: String? = nil, amountSats: Int64,
        paymentHash: String, invoiceExpiresAt: String, paidAt: String? = nil, plan: PlanInfo,
        sshKeyFingerprint: String? = nil, buyerSuppliedKey: Bool = false, keyHeld: Bool = false,
        keyClaimedAt: String? = nil, keyConfirmBy: String? = nil, keyWipedAt: String? = nil, dropletId: String? = nil,
        volumeId: String? = nil, accountSshKeyId: String? = nil, tailscaleKeyId: String? = nil, nodeIpv4: String? = nil,
        tailscaleHostname: String? = nil, error: String? = nil, errorDetail: String? = nil, errorReason: String? = nil,
        createdAt: String, updatedAt: String, readyAt: String? = nil, refundAmountSats: Int64? = nil,
        refundPaymentHash: String? = nil, refundedAt: String? = nil, buyerTailscaleKey: Bool = false,
        nodeSetup: NodeSetupStatus? = nil
    ) {
        self.jobId = jobId
        self.state = state
        self.phase = phase
        self.label = label
        self.amountSats = amountSats
        self.paymentHash = paymentHash
        self.invoiceExpiresAt = invoiceExpiresAt
        self.paidAt = paidAt
        self.plan = plan
        self.sshKeyFingerprint = sshKeyFingerprint
        self.buyerSuppliedKey = buyerSuppliedKey
        self.keyHeld = keyHeld
        self.keyClaimedAt = keyClaimedAt
        self.keyConfirmBy = keyConfirmBy
        self.keyWipedAt = keyWipedAt
        self.dropletId = dropletId
        self.volumeId = volumeId
        self.accountSshKeyId = accountSshKeyId
        self.tailscaleKeyId = tailscaleKeyId
        self.nodeIpv4 = nodeIpv4
        self.tailscaleHostname = tailscaleHostname
        self.error = error
        self.errorDetail = errorDetail
        self.errorReason = errorReason
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.readyAt = readyAt
        self.refundAmountSats = refundAmountSats
        self.refundPaymentHash = refundPaymentHash
        self.refundedAt = refundedAt
        self.buyerTailscaleKey = buyerTailscaleKey
        self.nodeSetup = nodeSetup
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let f = try JSONFields(reply: json)
        jobId = try f.string("jobId")
        state = try f.required("state", as: JobState.self)
        phase = try f.optionalString("phase").flatMap(ProvisionPhase.init(rawValue:))
        label = try f.optionalString("label")
        amountSats = try f.int("amountSats")
        paymentHash = try f.string("paymentHash")
        invoiceExpiresAt = try f.string("invoiceExpiresAt")
        paidAt = try f.optionalString("paidAt")
        plan = try f.required("plan", as: PlanInfo.self)
        sshKeyFingerprint = try f.optionalString("sshKeyFingerprint")
        buyerSuppliedKey = try f.bool("buyerSuppliedKey")
        keyHeld = try f.bool("keyHeld")
        keyClaimedAt = try f.optionalString("keyClaimedAt")
        keyConfirmBy = try f.optionalString("keyConfirmBy")
        keyWipedAt = try f.optionalString("keyWipedAt")
        dropletId = try f.optionalString("dropletId")
        volumeId = try f.optionalString("volumeId")
        accountSshKeyId = try f.optionalString("accountSshKeyId")
        tailscaleKeyId = try f.optionalString("tailscaleKeyId")
        nodeIpv4 = try f.optionalString("nodeIpv4")
        tailscaleHostname = try f.optionalString("tailscaleHostname")
        error = try f.optionalString("error")
        errorDetail = try f.optionalString("errorDetail")
        errorReason = try f.optionalString("errorReason")
        createdAt = try f.string("createdAt")
        updatedAt = try f.string("updatedAt")
        readyAt = try f.optionalString("readyAt")
        refundAmountSats = try f.optionalInt("refundAmountSats")
        refundPaymentHash = try f.optionalString("refundPaymentHash")
        refundedAt = try f.optionalString("refundedAt")
        buyerTailscaleKey = try f.bool("buyerTailscaleKey")
        nodeSetup = try f.optional("nodeSetup", as: NodeSetupStatus.self)
    }

    public var json: JSONValue {
        func text(_ value: String?) -> JSONValue? { value.map(JSONValue.string) }
        return .object(dropping: [
            "jobId": .string(jobId), "state": state.json, "phase": text(phase?.rawValue), "label": text(label),
            "amountSats": .int(amountSats), "paymentHash": .string(paymentHash),
            "invoiceExpiresAt": .string(invoiceExpiresAt), "paidAt": text(paidAt), "plan": plan.json,
            "sshKeyFingerprint": text(sshKeyFingerprint), "buyerSuppliedKey": .bool(buyerSuppliedKey),
            "keyHeld": .bool(keyHeld), "keyClaimedAt": text(keyClaimedAt), "keyConfirmBy": text(keyConfirmBy),
            "keyWipedAt": text(keyWipedAt), "dropletId": text(dropletId), "volumeId": text(volumeId),
            "accountSshKeyId": text(accountSshKeyId), "tailscaleKeyId": text(tailscaleKeyId), "nodeIpv4": text(nodeIpv4),
            "tailscaleHostname": text(tailscaleHostname), "error": text(error), "errorDetail": text(errorDetail),
            "errorReason": text(errorReason), "createdAt": .string(createdAt), "updatedAt": .string(updatedAt),
            "readyAt": text(readyAt), "refundAmountSats": refundAmountSats.map(JSONValue.int),
            "refundPaymentHash": text(refundPaymentHash), "refundedAt": text(refundedAt),
            "buyerTailscaleKey": .bool(buyerTailscaleKey), "nodeSetup": nodeSetup?.json,
        ])
    }

    public static let componentName = "AdminJob"
    public static var componentSchema: JSONSchema {
        let time = JSONSchema.string(format: "date-time")
        return .object(
            "A job as an admin sees it: no secrets; members without a value are left out.",
            [
                RPCField("jobId", .ref("JobId")), RPCField("state", .ref(JobState.self)),
                .optional("phase", .ref("ProvisionPhase")), .optional("label", .string()),
                RPCField("amountSats", .integer(minimum: 0)), RPCField("paymentHash", .string()),
                RPCField("invoiceExpiresAt", time), .optional("paidAt", time), RPCField("plan", .ref(PlanInfo.self)),
                .optional("sshKeyFingerprint", .string()), RPCField("buyerSuppliedKey", .boolean()),
                RPCField("keyHeld", .boolean("timmyd still holds the node's sealed private key.")),
                .optional("keyClaimedAt", time), .optional("keyConfirmBy", time), .optional("keyWipedAt", time),
                .optional("dropletId", .string()), .optional("volumeId", .string()), .optional("accountSshKeyId", .string()),
                .optional("tailscaleKeyId", .string()), .optional("nodeIpv4", .string(format: "ipv4")),
                .optional("tailscaleHostname", .string()), .optional("error", .string(), "The sentence the buyer sees."),
                .optional("errorDetail", .string(), "The raw upstream error, for the operator."),
                .optional("errorReason", .string()), RPCField("createdAt", time), RPCField("updatedAt", time),
                .optional("readyAt", time), .optional("refundAmountSats", .integer(minimum: 0)),
                .optional("refundPaymentHash", .string()), .optional("refundedAt", time),
                RPCField("buyerTailscaleKey", .boolean("The buyer gave their own Tailscale auth key (never shown).")),
                .optional("nodeSetup", .ref(NodeSetupStatus.self), "Ready jobs only."),
            ])
    }
}

/// One entry of a job's history.
public struct AdminJobEvent: Sendable, Equatable, JSONConvertible {
    public var at: String
    public var from: String?
    public var to: String?
    public var phase: String?
    public var actorUid: Int64?
    public var reason: String

    public init(at: String, from: String? = nil, to: String? = nil, phase: String? = nil, actorUid: Int64? = nil, reason: String) {
        self.at = at
        self.from = from
        self.to = to
        self.phase = phase
        self.actorUid = actorUid
        self.reason = reason
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let f = try JSONFields(reply: json)
        at = try f.string("at")
        from = try f.optionalString("from")
        to = try f.optionalString("to")
        phase = try f.optionalString("phase")
        actorUid = try f.optionalInt("actorUid")
        reason = try f.string("reason")
    }

    public var json: JSONValue {
        .object(dropping: [
            "at": .string(at), "from": from.map(JSONValue.string), "to": to.map(JSONValue.string),
            "phase": phase.map(JSONValue.string), "actorUid": actorUid.map(JSONValue.int), "reason": .string(reason),
        ])
    }

    static var schema: JSONSchema {
        .object(
            nil,
            [
                RPCField("at", .string(format: "date-time")), .optional("from", .ref(JobState.self)),
                .optional("to", .ref(JobState.self)), .optional("phase", .ref("ProvisionPhase")),
                .optional("actorUid", .integer("The uid that acted; absent for the daemon itself.", minimum: 0)),
                RPCField("reason", .string()),
            ])
    }
}

/// `admin.jobs.get` result: the job and its history, oldest first.
public struct AdminJobDetail: Sendable, Equatable, RPCResult, RPCSchemaComponent {
    public var job: AdminJob
    public var events: [AdminJobEvent]

    public init(job: AdminJob, events: [AdminJobEvent]) {
        self.job = job
        self.events = events
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        job = try AdminJob(json: json)
        events = try JSONFields(reply: json).array("events", of: AdminJobEvent.self)
    }

    public var json: JSONValue {
        guard case .object(var object) = job.json else { return job.json }
        object["events"] = .array(events.map(\.json))
        return .object(object)
    }

    public static let componentName = "AdminJobDetail"
    public static var componentSchema: JSONSchema {
        .extending(.ref(AdminJob.self), .object(nil, [RPCField("events", .array(of: AdminJobEvent.schema))]))
    }
}

/// `admin.jobs.list` result: one page, newest first.
public struct JobPage: Sendable, Equatable, RPCResult, RPCSchemaComponent {
    public var jobs: [AdminJob]
    /// Present when there may be more: pass it as `cursor` for the next page.
    public var nextCursor: String?

    public init(jobs: [AdminJob], nextCursor: String? = nil) {
        self.jobs = jobs
        self.nextCursor = nextCursor
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let f = try JSONFields(reply: json)
        jobs = try f.array("jobs", of: AdminJob.self)
        nextCursor = try f.optionalString("nextCursor")
    }

    public var json: JSONValue {
        .object(dropping: ["jobs": .array(jobs.map(\.json)), "nextCursor": nextCursor.map(JSONValue.string)])
    }

    public static let componentName = "JobPage"
    public static var componentSchema: JSONSchema {
        .object(
            "One page of jobs, newest first.",
            [
                RPCField("jobs", .array(of: .ref(AdminJob.self))),
                .optional("nextCursor", .string(), "Pass as cursor for the next page; absent on the last."),
            ])
    }
}
