/// `daemon.info` result: what this daemon is and what it offers. Upstream error
/// text and real summaries appear only for admins on the socket.
public struct DaemonInfo: Sendable, Equatable, RPCResult, RPCSchemaComponent {
    public struct Payments: Sendable, Equatable {
        /// `real` (LNbits) or `stub`.
        public var mode: String
        public var summary: String
        /// `ok` or `degraded`.
        public var health: String
        /// Admins on the socket only.
        public var lastError: String?

        public init(mode: String, summary: String, health: String, lastError: String? = nil) {
            self.mode = mode
            self.summary = summary
            self.health = health
            self.lastError = lastError
        }
    }

    public struct Refunds: Sendable, Equatable {
        public var available: Bool
        /// Why refunds are off, when they are.
        public var reason: String?

        public init(available: Bool, reason: String? = nil) {
            self.available = available
            self.reason = reason
        }
    }

    public struct Provisioning: Sendable, Equatable {
        public var mode: String
        public var summary: String

        public init(mode: String, summary: String) {
            self.mode = mode
            self.summary = summary
        }
    }

    /// One step a node's setup reports, with its place and a sentence for buyers.
    public struct SetupStepInfo: Sendable, Equatable {
        public var step: NodeSetupStep
        public var number: Int64
        public var summary: String

        public init(step: NodeSetupStep, number: Int64, summary: String) {
            self.step = step
            self.number = number
            self.summary = summary
        }

        public static var all: [SetupStepInfo] {
            NodeSetupStep.allCases.map { SetupStepInfo(step: $0, number: Int64($0.number), summary: $0.summary) }
        }
    }

    public struct CallerInfo: Sendable, Equatable {
        public var uid: Int64
        public var role: CallerRole

        public init(uid: Int64, role: CallerRole) {
            self.uid = uid
            self.role = role
        }
    }

    public var version: String
    public var payments: Payments
    public var refunds: Refunds
    /// `provision` or `refund`: what a payment after expiry or cancel does.
    public var latePaymentPolicy: String
    public var provisioning: Provisioning
    public var priceSats: Int64
    public var invoiceExpirySeconds: Int64
    public var plan: PlanInfo
    public var nodeSetupReports: Bool
    public var nodeSetupSteps: [SetupStepInfo]
    public var caller: CallerInfo

    public init(
        version: String, payments: Payments, refunds: Refunds, latePaymentPolicy: String, provisioning: Provisioning,
        priceSats: Int64, invoiceExpirySeconds: Int64, plan: PlanInfo, nodeSetupReports: Bool,
        nodeSetupSteps: [SetupStepInfo] = SetupStepInfo.all, caller: CallerInfo
    ) {
        self.version = version
        self.payments = payments
        self.refunds = refunds
        self.latePaymentPolicy = latePaymentPolicy
        self.provisioning = provisioning
        self.priceSats = priceSats
        self.invoiceExpirySeconds = invoiceExpirySeconds
        self.plan = plan
        self.nodeSetupReports = nodeSetupReports
        self.nodeSetupSteps = nodeSetupSteps
        self.caller = caller
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(reply: json)
        version = try fields.string("version")
        let payments = try JSONFields(reply: fields.optionalValue("payments") ?? .null)
        self.payments = Payments(
            mode: try payments.string("mode"), summary: try payments.string("summary"), health: try payments.string("health"),
            lastError: try payments.optionalString("lastError"))
        let refunds = try JSONFields(reply: fields.optionalValue("refunds") ?? .null)
        self.refunds = Refunds(available: try refunds.bool("available"), reason: try refunds.optionalString("reason"))
        latePaymentPolicy = try fields.string("latePaymentPolicy")
        let provisioning = try JSONFields(reply: fields.optionalValue("provisioning") ?? .null)
        self.provisioning = Provisioning(mode: try provisioning.string("mode"), summary: try provisioning.string("summary"))
        priceSats = try fields.int("priceSats")
        invoiceExpirySeconds = try fields.int("invoiceExpirySeconds")
        plan = try fields.required("plan", as: PlanInfo.self)
        nodeSetupReports = try fields.bool("nodeSetupReports")
        var steps: [SetupStepInfo] = []
        for value in fields.optionalValue("nodeSetupSteps")?.arrayValue ?? [] {
            let step = try JSONFields(reply: value)
            steps.append(
                SetupStepInfo(
                    step: try step.required("step", as: NodeSetupStep.self), number: try step.int("number"),
                    summary: try step.string("summary")))
        }
        nodeSetupSteps = steps
        let caller = try JSONFields(reply: fields.optionalValue("caller") ?? .null)
        guard let role = CallerRole(rawValue: try caller.string("role")) else {
            throw .invalidParams("caller.role must be client or admin", field: "caller.role")
        }
        self.caller = CallerInfo(uid: try caller.int("uid"), role: role)
    }

    public var json: JSONValue {
        [
            "version": .string(version),
            "payments": .object(dropping: [
                "mode": .string(payments.mode), "summary": .string(payments.summary), "health": .string(payments.health),
                "lastError": payments.lastError.map(JSONValue.string),
            ]),
            "refunds": .object(dropping: ["available": .bool(refunds.available), "reason": refunds.reason.map(JSONValue.string)]),
            "latePaymentPolicy": .string(latePaymentPolicy),
            "provisioning": ["mode": .string(provisioning.mode), "summary": .string(provisioning.summary)],
            "priceSats": .int(priceSats), "invoiceExpirySeconds": .int(invoiceExpirySeconds), "plan": plan.json,
            "nodeSetupReports": .bool(nodeSetupReports),
            "nodeSetupSteps": .array(
                nodeSetupSteps.map { ["step": $0.step.json, "number": .int($0.number), "summary": .string($0.summary)] }),
            "caller": ["uid": .int(caller.uid), "role": .string(caller.role.rawValue)],
        ]
    }

    public static let componentName = "DaemonInfo"
    public static var componentSchema: JSONSchema {
        .object(
            "What this daemon is and what it offers.",
            [
                RPCField("version", .string()),
                RPCField(
                    "payments",
                    .object(
                        nil,
                        [
                            RPCField("mode", .string(enum: ["real", "stub"])),
                            RPCField("summary", .string()),
                            RPCField("health", .string(enum: ["ok", "degraded"])),
                            .optional("lastError", .string(), "The last upstream error; admins on the socket only."),
                        ])),
                RPCField(
                    "refunds",
                    .object(nil, [RPCField("available", .boolean()), .optional("reason", .string(), "Why refunds are off.")])),
                RPCField("latePaymentPolicy", .string(enum: ["provision", "refund"])),
                RPCField(
                    "provisioning", .object(nil, [RPCField("mode", .string(enum: ["real", "stub"])), RPCField("summary", .string())])),
                RPCField("priceSats", .integer(minimum: 1)),
                RPCField("invoiceExpirySeconds", .integer(minimum: 1)),
                RPCField("plan", .ref(PlanInfo.self)),
                RPCField("nodeSetupReports", .boolean("Whether new nodes report their setup steps.")),
                RPCField(
                    "nodeSetupSteps",
                    .array(
                        of: .object(
                            nil,
                            [
                                RPCField("step", .ref(NodeSetupStep.self)), RPCField("number", .integer(minimum: 1)),
                                RPCField("summary", .string()),
                            ]))),
                RPCField(
                    "caller",
                    .object(
                        "Who asked, as the daemon sees it.",
                        [RPCField("uid", .integer(minimum: 0)), RPCField("role", .string(enum: ["client", "admin"]))])),
            ])
    }
}

/// A node's size and place: the daemon's plan, and each job's copy of it.
public struct PlanInfo: Sendable, Equatable, JSONConvertible, RPCSchemaComponent {
    public var region: String
    public var size: String
    public var image: String
    /// 0 when the node gets no block volume.
    public var volumeSizeGb: Int64

    public init(region: String, size: String, image: String, volumeSizeGb: Int64) {
        self.region = region
        self.size = size
        self.image = image
        self.volumeSizeGb = volumeSizeGb
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(reply: json)
        region = try fields.string("region")
        size = try fields.string("size")
        image = try fields.string("image")
        volumeSizeGb = try fields.int("volumeSizeGb")
    }

    public var json: JSONValue {
        ["region": .string(region), "size": .string(size), "image": .string(image), "volumeSizeGb": .int(volumeSizeGb)]
    }

    public static let componentName = "NodePlan"
    public static var componentSchema: JSONSchema {
        .object(
            "A node's cloud region, size, image and block volume.",
            [
                RPCField("region", .string()), RPCField("size", .string()), RPCField("image", .string()),
                RPCField("volumeSizeGb", .integer("0 means no block volume.", minimum: 0)),
            ])
    }
}
