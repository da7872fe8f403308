/// `bootstrap.create` params.
public struct CreateJobParams: Sendable, Equatable, JSONConvertible {
    /// A note for the operator, at most 200 characters.
    public var label: String?
    /// The buyer's own OpenSSH public key; then timmyd makes and holds no private key.
    public var sshPublicKey: String?
    /// The buyer's own Tailscale auth key (`tskey-auth-…`): the node joins the buyer's
    /// tailnet with it, and the operator makes no key. A secret: never echoed back.
    public var tailscaleAuthKey: String?

    public init(label: String? = nil, sshPublicKey: String? = nil, tailscaleAuthKey: String? = nil) {
        self.label = label
        self.sshPublicKey = sshPublicKey
        self.tailscaleAuthKey = tailscaleAuthKey
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(json, allowed: Self.memberNames)
        label = try fields.optionalString("label")
        sshPublicKey = try fields.optionalString("sshPublicKey")
        tailscaleAuthKey = try fields.optionalString("tailscaleAuthKey")
        if let key = tailscaleAuthKey, !TailscaleAuthKeyText.isWellFormed(key) {
            // The message never repeats the value: it is a secret, even when mistyped.
            throw .invalidParams(
                "tailscaleAuthKey must be a Tailscale auth key: tskey-auth- followed by letters, digits and -, "
                    + "at most \(TailscaleAuthKeyText.maximumLength) characters", field: "tailscaleAuthKey")
        }
    }

    public var json: JSONValue {
        .object(dropping: [
            "label": label.map(JSONValue.string), "sshPublicKey": sshPublicKey.map(JSONValue.string),
            "tailscaleAuthKey": tailscaleAuthKey.map(JSONValue.string),
        ])
    }
}

/// The shape of a buyer's Tailscale auth key, checked before anything is stored.
public enum TailscaleAuthKeyText {
    public static let prefix = "tskey-auth-"
    /// Real keys are about 60 characters; the bound only keeps nonsense out.
    public static let maximumLength = 200

    public static func isWellFormed(_ key: String) -> Bool {
        guard key.hasPrefix(prefix), key.utf8.count > prefix.utf8.count, key.utf8.count <= maximumLength else { return false }
        return key.utf8.dropFirst(prefix.utf8.count).allSatisfy { byte in
            (48...57).contains(byte) || (65...90).contains(byte) || (97...122).contains(byte) || byte == UInt8(ascii: "-")
        }
    }
}

/// The job id and its access token: what status, watch, claim and cancel need.
public struct JobCredentials: Sendable, Equatable, JSONConvertible {
    public var jobId: String
    public var accessToken: String

    public init(jobId: String, accessToken: String) {
        self.jobId = jobId
        self.accessToken = accessToken
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(json, allowed: Self.memberNames)
        jobId = try fields.string("jobId")
        accessToken = try fields.string("accessToken")
    }

    public var json: JSONValue { ["jobId": .string(jobId), "accessToken": .string(accessToken)] }
}

/// `bootstrap.confirmKey` params: the job's credentials and the fingerprint of the key
/// the buyer saved, so a confirmation can only wipe the key that was really kept.
public struct ConfirmKeyParams: Sendable, Equatable, JSONConvertible {
    public var jobId: String
    public var accessToken: String
    /// `SHA256:` and the unpadded base64 of the public key blob's SHA-256, as `ssh-keygen -l` prints it.
    public var sshKeyFingerprint: String

    public init(jobId: String, accessToken: String, sshKeyFingerprint: String) {
        self.jobId = jobId
        self.accessToken = accessToken
        self.sshKeyFingerprint = sshKeyFingerprint
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(json, allowed: Self.memberNames)
        jobId = try fields.string("jobId")
        accessToken = try fields.string("accessToken")
        sshKeyFingerprint = try fields.string("sshKeyFingerprint")
        guard (1...200).contains(sshKeyFingerprint.utf8.count) else {
            throw .invalidParams("sshKeyFingerprint must be 1 to 200 characters", field: "sshKeyFingerprint")
        }
    }

    public var credentials: JobCredentials { JobCredentials(jobId: jobId, accessToken: accessToken) }

    public var json: JSONValue {
        ["jobId": .string(jobId), "accessToken": .string(accessToken), "sshKeyFingerprint": .string(sshKeyFingerprint)]
    }
}

/// `bootstrap.refund` params: the job's credentials and the invoice to pay the refund to.
public struct RefundParams: Sendable, Equatable, JSONConvertible {
    public var jobId: String
    public var accessToken: String
    public var bolt11: String

    public init(jobId: String, accessToken: String, bolt11: String) {
        self.jobId = jobId
        self.accessToken = accessToken
        self.bolt11 = bolt11
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(json, allowed: Self.memberNames)
        jobId = try fields.string("jobId")
        accessToken = try fields.string("accessToken")
        bolt11 = try RefundInvoiceText.validated(try fields.string("bolt11"))
    }

    public var credentials: JobCredentials { JobCredentials(jobId: jobId, accessToken: accessToken) }

    public var json: JSONValue {
        ["jobId": .string(jobId), "accessToken": .string(accessToken), "bolt11": .string(bolt11)]
    }
}

/// `admin.jobs.refund` params: any job, no token.
public struct AdminRefundParams: Sendable, Equatable, JSONConvertible {
    public var jobId: String
    public var bolt11: String

    public init(jobId: String, bolt11: String) {
        self.jobId = jobId
        self.bolt11 = bolt11
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(json, allowed: Self.memberNames)
        jobId = try fields.string("jobId")
        bolt11 = try RefundInvoiceText.validated(try fields.string("bolt11"))
    }

    public var json: JSONValue { ["jobId": .string(jobId), "bolt11": .string(bolt11)] }
}

/// The shape check every refund invoice passes before anything is asked upstream.
enum RefundInvoiceText {
    /// Bolt11 is bech32: letters and digits only; a `lightning:` URI prefix is dropped.
    static func validated(_ text: String) throws(JSONRPCError) -> String {
        // Pasted invoices often carry a trailing newline or spaces.
        var invoice = Substring(text)
        while invoice.first?.isWhitespace == true { invoice.removeFirst() }
        while invoice.last?.isWhitespace == true { invoice.removeLast() }
        if invoice.lowercased().hasPrefix("lightning:") { invoice = invoice.dropFirst("lightning:".count) }
        guard (1...4096).contains(invoice.utf8.count),
            invoice.utf8.allSatisfy({ (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0) })
        else {
            throw .invalidParams("bolt11 must be a Lightning invoice (letters and digits, at most 4096)", field: "bolt11")
        }
        return String(invoice)
    }
}

/// A job named by id alone, for admin methods.
public struct JobReference: Sendable, Equatable, JSONConvertible {
    public var jobId: String

    public init(jobId: String) { self.jobId = jobId }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(json, allowed: Self.memberNames)
        jobId = try fields.string("jobId")
    }

    public var json: JSONValue { ["jobId": .string(jobId)] }
}

/// `admin.jobs.list` params.
public struct JobListParams: Sendable, Equatable, JSONConvertible {
    public static let defaultLimit: Int64 = 50
    public static let maximumLimit: Int64 = 500

    public var state: JobState?
    public var limit: Int64
    /// Opaque: the `nextCursor` of the previous page.
    public var cursor: String?

    /// Only ready nodes whose setup reports stopped (see `NODE_SETUP_STALL_MINUTES`).
    public var stalled: Bool

    public init(
        state: JobState? = nil, limit: Int64 = JobListParams.defaultLimit, cursor: String? = nil, stalled: Bool = false
    ) {
        self.state = state
        self.limit = limit
        self.cursor = cursor
        self.stalled = stalled
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(json, allowed: Self.memberNames)
        stalled = try fields.optionalBool("stalled") ?? false
        state = try fields.optional("state", as: JobState.self)
        limit = try fields.optionalInt("limit") ?? Self.defaultLimit
        guard (1...Self.maximumLimit).contains(limit) else {
            throw .invalidParams("limit must be between 1 and \(Self.maximumLimit)", field: "limit")
        }
        cursor = try fields.optionalString("cursor")
    }

    public var json: JSONValue {
        .object(dropping: [
            "state": state?.json, "limit": .int(limit), "cursor": cursor.map(JSONValue.string),
            "stalled": stalled ? .bool(true) : nil,
        ])
    }
}
