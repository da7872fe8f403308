/// `admin.backup`'s reply: what the daemon copied and checked. The copy itself
/// follows on the same connection as `admin.backup.chunk` notifications, so it
/// reaches the admin as the admin's own file (timmyctl writes it), wherever the
/// daemon's sandbox lets it write.
public struct BackupSummary: Sendable, Equatable, JSONConvertible {
    /// Size of the copy; the chunks add up to exactly this.
    public var bytes: Int64
    /// Jobs in the copy.
    public var jobs: Int64
    /// Lowercase hex SHA-256 of the whole copy.
    public var sha256: String
    /// `PRAGMA integrity_check` on the copy: always "ok" in a reply (anything else is an error).
    public var integrityCheck: String
    /// The reminder that the master key is a separate secret, kept outside the database.
    public var masterKeyReminder: String

    public init(bytes: Int64, jobs: Int64, sha256: String, integrityCheck: String, masterKeyReminder: String) {
        self.bytes = bytes
        self.jobs = jobs
        self.sha256 = sha256
        self.integrityCheck = integrityCheck
        self.masterKeyReminder = masterKeyReminder
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(reply: json)
        bytes = try fields.int("bytes")
        jobs = try fields.int("jobs")
        sha256 = try fields.string("sha256")
        integrityCheck = try fields.string("integrityCheck")
        masterKeyReminder = try fields.string("masterKeyReminder")
    }

    public var json: JSONValue {
        [
            "bytes": .int(bytes), "jobs": .int(jobs), "sha256": .string(sha256),
            "integrityCheck": .string(integrityCheck), "masterKeyReminder": .string(masterKeyReminder),
        ]
    }
}

/// One `admin.backup.chunk` notification: `data` (standard base64) belongs at `offset`.
public struct BackupChunk: Sendable, Equatable, JSONConvertible {
    public var offset: Int64
    public var data: [UInt8]

    public init(offset: Int64, data: [UInt8]) {
        self.offset = offset
        self.data = data
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let fields = try JSONFields(reply: json)
        offset = try fields.int("offset")
        guard let decoded = Base64Text.decode(try fields.string("data").utf8) else {
            throw JSONRPCError.invalidParams("data is not base64", field: "data")
        }
        data = decoded
    }

    public var json: JSONValue { ["offset": .int(offset), "data": .string(Base64Text.encode(data))] }

    /// The lowercase hex SHA-256 a `BackupSummary` names, for checking the copy received.
    public static func sha256Hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(bytes).hexString
    }
}
