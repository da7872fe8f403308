/// `admin.stats` result.
public struct AdminStats: Sendable, Equatable, RPCResult, RPCSchemaComponent {
    /// Every state, with 0 for none.
    public var jobsByState: [JobState: Int64]
    public var paidJobs: Int64
    public var satsTaken: Int64
    /// Nodes that became ready, and how long that took (absent until one did).
    public var provisioningCompleted: Int64
    public var provisioningMedianSeconds: Double?
    public var provisioningMaxSeconds: Double?
    public var setupStalled: Int64
    public var setupFailed: Int64

    public init(
        jobsByState: [JobState: Int64], paidJobs: Int64, satsTaken: Int64, provisioningCompleted: Int64,
        provisioningMedianSeconds: Double? = nil, provisioningMaxSeconds: Double? = nil, setupStalled: Int64,
        setupFailed: Int64
    ) {
        self.jobsByState = jobsByState
        self.paidJobs = paidJobs
        self.satsTaken = satsTaken
        self.provisioningCompleted = provisioningCompleted
        self.provisioningMedianSeconds = provisioningMedianSeconds
        self.provisioningMaxSeconds = provisioningMaxSeconds
        self.setupStalled = setupStalled
        self.setupFailed = setupFailed
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let f = try JSONFields(reply: json)
        var byState: [JobState: Int64] = [:]
        for (key, value) in f.optionalValue("jobsByState")?.objectValue ?? [:] {
            if let state = JobState(rawValue: key), let count = value.intValue { byState[state] = count }
        }
        jobsByState = byState
        paidJobs = try f.int("paidJobs")
        satsTaken = try f.int("satsTaken")
        let provisioning = try JSONFields(reply: f.optionalValue("provisioning") ?? .null)
        provisioningCompleted = try provisioning.int("completed")
        provisioningMedianSeconds = Self.number(provisioning.optionalValue("medianSeconds"))
        provisioningMaxSeconds = Self.number(provisioning.optionalValue("maxSeconds"))
        setupStalled = try f.int("setupStalled")
        setupFailed = try f.int("setupFailed")
    }

    private static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .double(let number)?: number
        case .int(let number)?: Double(number)
        default: nil
        }
    }

    public var json: JSONValue {
        [
            "jobsByState": .object(Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0.rawValue, .int(jobsByState[$0] ?? 0)) })),
            "paidJobs": .int(paidJobs), "satsTaken": .int(satsTaken),
            "provisioning": .object(dropping: [
                "completed": .int(provisioningCompleted), "medianSeconds": provisioningMedianSeconds.map(JSONValue.double),
                "maxSeconds": provisioningMaxSeconds.map(JSONValue.double),
            ]),
            "setupStalled": .int(setupStalled), "setupFailed": .int(setupFailed),
        ]
    }

    public static let componentName = "AdminStats"
    public static var componentSchema: JSONSchema {
        .object(
            "Counts by state, sats taken, provisioning times, stalled and failed node setups.",
            [
                RPCField(
                    "jobsByState",
                    .map(of: .integer(minimum: 0), keys: JobState.allCases.map(\.rawValue), "Every state, 0 for none.")),
                RPCField("paidJobs", .integer(minimum: 0)),
                RPCField("satsTaken", .integer("Verified payments only.", minimum: 0)),
                RPCField(
                    "provisioning",
                    .object(
                        nil,
                        [
                            RPCField("completed", .integer(minimum: 0)), .optional("medianSeconds", .number(minimum: 0)),
                            .optional("maxSeconds", .number(minimum: 0)),
                        ])),
                RPCField("setupStalled", .integer(minimum: 0)), RPCField("setupFailed", .integer(minimum: 0)),
            ])
    }
}

/// `admin.userData.render` result.
public struct UserDataRenderResult: Sendable, Equatable, RPCResult, RPCSchemaComponent {
    public var userData: String
    public var bytes: Int64
    /// Lowercase hex SHA-256 of `userData`.
    public var sha256: String

    public init(userData: String, bytes: Int64, sha256: String) {
        self.userData = userData
        self.bytes = bytes
        self.sha256 = sha256
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let f = try JSONFields(reply: json)
        userData = try f.string("userData")
        bytes = try f.int("bytes")
        sha256 = try f.string("sha256")
    }

    public var json: JSONValue { ["userData": .string(userData), "bytes": .int(bytes), "sha256": .string(sha256)] }

    public static let componentName = "UserDataRenderResult"
    public static var componentSchema: JSONSchema {
        .object(
            "A node's cloud-init script as it would be rendered, with placeholders.",
            [
                RPCField("userData", .string()), RPCField("bytes", .integer(minimum: 0)),
                RPCField("sha256", .ref("Sha256Hex")),
            ])
    }
}

/// `admin.reconcile` result.
public struct ReconcileResult: Sendable, Equatable, RPCResult, RPCSchemaComponent {
    /// A cloud resource that looks like timmyd's and that no live job owns.
    public struct Orphan: Sendable, Equatable {
        /// `droplet`, `volume` or `ssh_key`.
        public var kind: String
        public var id: String
        public var name: String
        public var tags: [String]
        public var jobId: String?
        /// With `delete: true`: whether it is gone.
        public var deleted: Bool?

        public init(kind: String, id: String, name: String, tags: [String], jobId: String? = nil, deleted: Bool? = nil) {
            self.kind = kind
            self.id = id
            self.name = name
            self.tags = tags
            self.jobId = jobId
            self.deleted = deleted
        }

        public var json: JSONValue {
            .object(dropping: [
                "kind": .string(kind), "id": .string(id), "name": .string(name), "tags": .array(tags.map(JSONValue.string)),
                "jobId": jobId.map(JSONValue.string), "deleted": deleted.map(JSONValue.bool),
            ])
        }
    }

    /// `real` or `stub`.
    public var mode: String
    public var orphans: [Orphan]
    public var deletedCount: Int64
    /// One line per resource that could not be deleted.
    public var errors: [String]

    public init(mode: String, orphans: [Orphan], deletedCount: Int64, errors: [String]) {
        self.mode = mode
        self.orphans = orphans
        self.deletedCount = deletedCount
        self.errors = errors
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let f = try JSONFields(reply: json)
        mode = try f.string("mode")
        var orphans: [Orphan] = []
        for value in f.optionalValue("orphans")?.arrayValue ?? [] {
            let o = try JSONFields(reply: value)
            orphans.append(
                Orphan(
                    kind: try o.string("kind"), id: try o.string("id"), name: try o.string("name"),
                    tags: o.optionalValue("tags")?.arrayValue?.compactMap(\.stringValue) ?? [], jobId: try o.optionalString("jobId"),
                    deleted: try o.optionalBool("deleted")))
        }
        self.orphans = orphans
        deletedCount = try f.int("deletedCount")
        errors = f.optionalValue("errors")?.arrayValue?.compactMap(\.stringValue) ?? []
    }

    public var json: JSONValue {
        [
            "mode": .string(mode), "orphans": .array(orphans.map(\.json)), "deletedCount": .int(deletedCount),
            "errors": .array(errors.map(JSONValue.string)),
        ]
    }

    public static let componentName = "ReconcileResult"
    public static var componentSchema: JSONSchema {
        .object(
            "Cloud resources that look like timmyd's but no live job owns.",
            [
                RPCField("mode", .string(enum: ["real", "stub"])),
                RPCField(
                    "orphans",
                    .array(
                        of: .object(
                            nil,
                            [
                                RPCField("kind", .string(enum: ["droplet", "volume", "ssh_key"])), RPCField("id", .string()),
                                RPCField("name", .string()), RPCField("tags", .array(of: .string())),
                                .optional("jobId", .string(), "The job its tag names."),
                                .optional("deleted", .boolean(), "With delete: true, whether it is gone."),
                            ]))),
                RPCField("deletedCount", .integer(minimum: 0)),
                RPCField("errors", .array(of: .string(), "One line per resource that could not be deleted.")),
            ])
    }
}

/// `rpc.discover` result: the OpenRPC document, kept as JSON (see `RPCDiscovery`).
public struct DiscoveryDocument: Sendable, Equatable, RPCResult {
    public var document: JSONValue

    public init(_ document: JSONValue) { self.document = document }
    public init(json: JSONValue) throws(JSONRPCError) { document = json }
    public var json: JSONValue { document }

    public static var schema: JSONSchema {
        JSONSchema(
            [
                "type": "object", "description": "An OpenRPC 1.3 document.",
                "required": ["openrpc", "info", "methods"],
                "properties": ["openrpc": ["type": "string"], "info": ["type": "object"], "methods": ["type": "array"]],
            ])
    }
}
