// The wire schemas of the buyer-facing types. Each sits next to the others here
// (not in the type's file) so the published contract reads as one piece.

extension JobState: RPCSchemaComponent {
    public static let componentName = "JobState"
    public static var componentSchema: JSONSchema {
        .string("Where a purchase stands.", enum: allCases.map(\.rawValue))
    }
}

extension NodeSetupStep: RPCSchemaComponent {
    public static let componentName = "NodeSetupStep"
    public static var componentSchema: JSONSchema {
        .string("A step of a node's own setup, in the order it runs.", enum: allCases.map(\.rawValue))
    }
}

extension NodeSetupState: RPCSchemaComponent {
    public static let componentName = "NodeSetupState"
    public static var componentSchema: JSONSchema { .string(enum: allCases.map(\.rawValue)) }
}

/// The small named strings several types share.
enum SharedStrings {
    static let components: [String: JSONSchema] = [
        "JobId": .string(
            "A job id: a lower-case random UUID.", pattern: "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"),
        "ProvisionPhase": .string(
            "The last provisioning step a job completed.", enum: ProvisionPhase.allCases.map(\.rawValue)),
        "Sha256Hex": .string("Lower-case hex SHA-256.", pattern: "^[0-9a-f]{64}$"),
        "SSHKeyFingerprint": .string(
            "SHA256: and the unpadded base64 of the key blob's SHA-256, as ssh-keygen -l prints it.", minLength: 1,
            maxLength: 200),
    ]
}

extension NodeSetupStatus: RPCSchemaComponent {
    public static let componentName = "NodeSetupStatus"
    public static var componentSchema: JSONSchema {
        .object(
            "How the node's own software install is going.",
            [
                RPCField("reported", .boolean("False when this node sends no reports: nothing more will be known.")),
                .optional("step", .ref(NodeSetupStep.self)), .optional("state", .ref(NodeSetupState.self)),
                .optional("message", .string(), "The setup script's own short note."),
                .optional("updatedAt", .string(format: "date-time")),
            ])
    }
}

extension InvoiceInfo: RPCSchemaComponent {
    public static let componentName = "InvoiceInfo"
    public static var componentSchema: JSONSchema {
        .object(
            "The Lightning invoice a buyer pays.",
            [
                RPCField("paymentRequest", .string("BOLT11.")), RPCField("paymentHash", .string()),
                RPCField("amountSats", .integer(minimum: 1)), RPCField("expiresAt", .string(format: "date-time")),
            ])
    }
}

extension NodeInfo: RPCSchemaComponent {
    public static let componentName = "NodeInfo"
    public static var componentSchema: JSONSchema {
        .object(
            "What the buyer needs to reach their node; nothing here is secret.",
            [
                RPCField("ipv4", .string(format: "ipv4")), .optional("tailscaleHostname", .string()),
                .optional("lnbitsUrl", .string(format: "uri")), RPCField("sshPublicKey", .string()),
                RPCField("sshKeyFingerprint", .ref("SSHKeyFingerprint")), .optional("setup", .ref(NodeSetupStatus.self)),
            ])
    }
}

extension JobStatus: RPCResult, RPCSchemaComponent {
    public static let componentName = "JobStatus"
    public static var componentSchema: JSONSchema {
        .object(
            "Where a job stands, as its buyer sees it.",
            [
                RPCField("jobId", .ref("JobId")), RPCField("state", .ref(JobState.self)),
                RPCField("phase", JSONSchema.ref("ProvisionPhase").orNull(), "Always present; null before provisioning."),
                RPCField("amountSats", .integer(minimum: 0)), RPCField("createdAt", .string(format: "date-time")),
                RPCField("updatedAt", .string(format: "date-time")), RPCField("message", .string()),
                .optional("invoice", .ref(InvoiceInfo.self)), .optional("node", .ref(NodeInfo.self)),
                RPCField("keyClaimed", .boolean("The key was delivered and timmyd no longer holds it.")),
                .optional("error", .string(), "Fit for the buyer."), .optional("nextSteps", .array(of: .string())),
            ])
    }
}

extension CreateJobResult: RPCResult, RPCSchemaComponent {
    public static let componentName = "CreateJobResult"
    public static var componentSchema: JSONSchema {
        .object(
            "A new job: its access token appears here once and never again.",
            [
                RPCField("jobId", .ref("JobId")), RPCField("accessToken", .string(pattern: "^tat_[A-Za-z0-9_-]+$")),
                RPCField("state", .ref(JobState.self)), RPCField("invoice", .ref(InvoiceInfo.self)),
            ])
    }
}

extension ClaimKeyResult: RPCResult, RPCSchemaComponent {
    public static let componentName = "ClaimKeyResult"
    public static var componentSchema: JSONSchema {
        .object(
            "The node's SSH key pair: the same on every claim until confirmed or confirmBy passes.",
            [
                RPCField("sshPrivateKey", .string("OpenSSH private key file text.")), RPCField("sshPublicKey", .string()),
                RPCField("sshKeyFingerprint", .ref("SSHKeyFingerprint")),
                RPCField("confirmBy", .string(format: "date-time")),
            ])
    }
}

extension ConfirmKeyResult: RPCResult, RPCSchemaComponent {
    public static let componentName = "ConfirmKeyResult"
    public static var componentSchema: JSONSchema {
        .object(
            "The key is wiped; timmyd holds no copy any more.",
            [
                RPCField("jobId", .ref("JobId")), RPCField("sshKeyFingerprint", .ref("SSHKeyFingerprint")),
                RPCField("wipedAt", .string(format: "date-time")),
            ])
    }
}

extension BackupSummary: RPCResult, RPCSchemaComponent {
    public static let componentName = "BackupSummary"
    public static var componentSchema: JSONSchema {
        .object(
            "What the daemon copied and checked; the copy follows as admin.backup.chunk notifications.",
            [
                RPCField("bytes", .integer(minimum: 0)), RPCField("jobs", .integer(minimum: 0)),
                RPCField("sha256", .ref("Sha256Hex")), RPCField("integrityCheck", .constant("ok")),
                RPCField("masterKeyReminder", .string()),
            ])
    }
}

extension BackupChunk: RPCSchemaComponent {
    public static let componentName = "BackupChunk"
    public static var componentSchema: JSONSchema {
        .object(
            "Part of a backup copy: data (standard base64) belongs at offset.",
            [RPCField("offset", .integer(minimum: 0)), RPCField("data", .string(contentEncoding: "base64"))])
    }
}

// MARK: Params

private let jobIdField = RPCField("jobId", .ref("JobId"))
private let accessTokenField = RPCField("accessToken", .string("The token bootstrap.create gave.", minLength: 1))
private let bolt11Field = RPCField(
    "bolt11", .string("The buyer's Lightning invoice for the refund; a lightning: prefix is dropped.", minLength: 1, maxLength: 4200))

extension CreateJobParams: RPCParams {
    /// The members `init(json:)` accepts: exactly those `rpc.discover` publishes.
    static let memberNames = Set(fields.map(\.name))

    public static var fields: [RPCField] {
        [
            .optional("label", .string(maxLength: 200), "A note for the operator."),
            .optional("sshPublicKey", .string(), "The buyer's own OpenSSH public key; then timmyd holds no private key."),
            .optional(
                "tailscaleAuthKey",
                .string(
                    pattern: "^tskey-auth-[A-Za-z0-9-]+$", maxLength: TailscaleAuthKeyText.maximumLength),
                "The buyer's own Tailscale auth key; a secret, never echoed back."),
        ]
    }
}

extension JobCredentials: RPCParams {
    /// The members `init(json:)` accepts: exactly those `rpc.discover` publishes.
    static let memberNames = Set(fields.map(\.name))

    public static var fields: [RPCField] { [jobIdField, accessTokenField] }
}

extension ConfirmKeyParams: RPCParams {
    /// The members `init(json:)` accepts: exactly those `rpc.discover` publishes.
    static let memberNames = Set(fields.map(\.name))

    public static var fields: [RPCField] {
        [jobIdField, accessTokenField, RPCField("sshKeyFingerprint", .ref("SSHKeyFingerprint"))]
    }
}

extension RefundParams: RPCParams {
    /// The members `init(json:)` accepts: exactly those `rpc.discover` publishes.
    static let memberNames = Set(fields.map(\.name))

    public static var fields: [RPCField] { [jobIdField, accessTokenField, bolt11Field] }
}

extension AdminRefundParams: RPCParams {
    /// The members `init(json:)` accepts: exactly those `rpc.discover` publishes.
    static let memberNames = Set(fields.map(\.name))

    public static var fields: [RPCField] { [jobIdField, bolt11Field] }
}

extension JobReference: RPCParams {
    /// The members `init(json:)` accepts: exactly those `rpc.discover` publishes.
    static let memberNames = Set(fields.map(\.name))

    public static var fields: [RPCField] { [jobIdField] }
}

extension JobListParams: RPCParams {
    /// The members `init(json:)` accepts: exactly those `rpc.discover` publishes.
    static let memberNames = Set(fields.map(\.name))

    public static var fields: [RPCField] {
        [
            .optional("state", .ref(JobState.self), "Only jobs in this state."),
            .optional("limit", .integer("Jobs per page; 50 when absent.", minimum: 1, maximum: maximumLimit)),
            .optional("cursor", .string(), "The nextCursor of the previous page."),
            .optional("stalled", .boolean(), "Only ready nodes whose setup reports stopped."),
        ]
    }
}

extension ReconcileParams: RPCParams {
    /// The members `init(json:)` accepts: exactly those `rpc.discover` publishes.
    static let memberNames = Set(fields.map(\.name))

    public static var fields: [RPCField] { [.optional("delete", .boolean(), "Delete what is found; false when absent.")] }
}

extension UserDataRenderParams: RPCParams {
    /// The members `init(json:)` accepts: exactly those `rpc.discover` publishes.
    static let memberNames = Set(fields.map(\.name))

    public static var fields: [RPCField] {
        [
            .optional("volumeGb", .integer("Block volume in GB, 0 for none; the daemon's plan when absent.", minimum: 0)),
            .optional("tailscale", .boolean(), "Render the Tailscale join with a placeholder key."),
        ]
    }
}
