#if canImport(Glibc)
import Glibc
#endif
import Logging
import Protocol

/// Builds a `DaemonConfiguration` from the command line, the process environment,
/// an optional env file (the environment wins over it), and secret files.
///
/// Each secret `NAME` may come from `NAME` itself, from the file named by
/// `NAME_FILE`, or from `$CREDENTIALS_DIRECTORY/NAME` (systemd `LoadCredential=`).
struct ConfigurationLoader {
    static let secretNames = ["LNBITS_API_KEY", "LNBITS_ADMIN_KEY", "DO_API_TOKEN", "TAILSCALE_API_KEY"]

    private let values: [String: String]

    init(environment: [String: String], envFile: String?) throws {
        var merged: [String: String] = [:]
        if let envFile {
            guard let file = readWholeFileAndMode(envFile, limit: 1024 * 1024) else {
                throw ConfigurationError("--env-file: cannot read \(envFile)")
            }
            try Self.refuseWritableByOthers(envFile, mode: file.mode, owner: file.owner)
            merged = try EnvironmentFile.parse(file.text, path: envFile)
            try Self.refuseReadableInlineSecrets(merged, path: envFile, mode: file.mode)
        }
        merged.merge(environment) { _, fromEnvironment in fromEnvironment }
        values = merged
    }

    func load(socketPath: String?, stateDirectory: String?, requireReal: Bool) throws -> DaemonConfiguration {
        let configuration = DaemonConfiguration(
            socketPath: socketPath ?? string("TIMMY_SOCKET") ?? RPCClient.defaultSocketPath,
            stateDirectory: stateDirectory ?? string("TIMMY_STATE_DIR") ?? "/var/lib/timmyd",
            socketGroup: string("TIMMY_SOCKET_GROUP") ?? "timmy",
            socketMode: try octal("TIMMY_SOCKET_MODE", default: 0o660),
            adminGroup: string("TIMMY_ADMIN_GROUP") ?? "timmy-admin",
            maximumRequestBytes: Int(try integer("MAX_REQUEST_BYTES", default: 65_536, in: 1024...(16 << 20))),
            maximumConnections: Int(try integer("MAX_CONNECTIONS", default: 512, in: 1...100_000)),
            idleTimeoutSeconds: try integer("IDLE_TIMEOUT_SECONDS", default: 300, in: 1...86_400),
            plan: NodePlan(
                region: string("DO_REGION") ?? "nyc3",
                size: string("DO_SIZE") ?? "s-2vcpu-4gb",
                image: string("DO_IMAGE") ?? "ubuntu-24-04-x64",
                volumeSizeGB: try integer("DO_VOLUME_SIZE_GB", default: 0, in: 0...16_384)),
            priceSats: try integer("BOOTSTRAP_FEE_SATS", default: 50_000, in: 1...2_100_000_000_000_000),
            invoiceExpirySeconds: try integer("INVOICE_EXPIRY_SECONDS", default: 3600, in: 1...604_800),
            latePaymentGraceSeconds: try integer("LATE_PAYMENT_GRACE_SECONDS", default: 86_400, in: 0...2_592_000),
            latePaymentPolicy: try latePaymentPolicy(),
            paymentPollIntervalMilliseconds: try integer("PAYMENT_POLL_INTERVAL_MS", default: 1000, in: 10...600_000),
            sshKeyAlgorithm: try keyAlgorithm(),
            keyRetentionSeconds: try integer("KEY_RETENTION_DAYS", default: 30, in: 1...3650) * 86_400,
            keyConfirmWindowSeconds: try integer("KEY_CONFIRM_WINDOW_SECONDS", default: 600, in: 1...604_800),
            stubProvisionDelayMilliseconds: try integer("STUB_PROVISION_DELAY_MS", default: 2000, in: 0...600_000),
            stubProvisionFailAt: try phase("STUB_PROVISION_FAIL_AT"),
            backupPagesPerStep: try integer("BACKUP_PAGES_PER_STEP", default: 256, in: 1...1_000_000),
            backupStepPauseMilliseconds: try integer("BACKUP_STEP_PAUSE_MS", default: 5, in: 0...10_000),
            faultCrashAfterPhase: try phase("TIMMY_FAULT_CRASH_AFTER_PHASE", allowingQueued: true),
            faultCrashAfterRefundSent: boolean("TIMMY_FAULT_CRASH_AFTER_REFUND_SENT"),
            faultCrashBeforeRecording: try phase("TIMMY_FAULT_CRASH_BEFORE_RECORDING"),
            faultStubPaymentReport: try stubPaymentFault(),
            faultServiceFailsAfterMilliseconds: try integer(
                "TIMMY_FAULT_SERVICE_FAILS_AFTER_MS", default: 0, in: 0...86_400_000),
            lnbits: try lnbitsSettings(),
            digitalOcean: try digitalOceanSettings(),
            tailscale: try tailscaleSettings(),
            requireReal: requireReal || boolean("TIMMY_REQUIRE_REAL"),
            logLevel: try logLevel(),
            http: try httpSettings(),
            nodeImages: try nodeImages(),
            nodeSetup: try nodeSetupSettings(),
            callerLimits: try callerLimits(),
            alerts: try alertSettings(),
            metricsListen: try string("METRICS_LISTEN").map(MetricsListenAddress.init(parsing:)))
        return configuration
    }

    // MARK: Values

    func string(_ name: String) -> String? {
        guard let value = values[name], !value.isEmpty else { return nil }
        return value
    }

    private func boolean(_ name: String) -> Bool {
        ["1", "true", "yes", "on"].contains(string(name)?.lowercased() ?? "")
    }

    private func latePaymentPolicy() throws -> LatePaymentPolicy {
        guard let text = string("LATE_PAYMENT_POLICY") else { return .provision }
        guard let policy = LatePaymentPolicy(rawValue: text) else {
            let known = LatePaymentPolicy.allCases.map(\.rawValue).joined(separator: " or ")
            throw ConfigurationError("LATE_PAYMENT_POLICY must be \(known)")
        }
        return policy
    }

    private func integer(_ name: String, default fallback: Int64, in range: ClosedRange<Int64>) throws -> Int64 {
        guard let text = string(name) else { return fallback }
        guard let number = Int64(text), range.contains(number) else {
            throw ConfigurationError("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return number
    }

    private func octal(_ name: String, default fallback: UInt32) throws -> UInt32 {
        guard let text = string(name) else { return fallback }
        guard let mode = UInt32(text, radix: 8), mode <= 0o777 else {
            throw ConfigurationError("\(name) must be an octal file mode such as 0660")
        }
        return mode
    }

    private func stubPaymentFault() throws -> StubPaymentFault? {
        guard let text = string("TIMMY_FAULT_STUB_PAYMENT_REPORT") else { return nil }
        guard let fault = StubPaymentFault(rawValue: text) else {
            let known = StubPaymentFault.allCases.map(\.rawValue).joined(separator: " or ")
            throw ConfigurationError("TIMMY_FAULT_STUB_PAYMENT_REPORT must be \(known)")
        }
        return fault
    }

    private func keyAlgorithm() throws -> SSHKeyAlgorithm {
        guard let text = string("SSH_KEY_TYPE") else { return .ed25519 }
        guard let algorithm = SSHKeyAlgorithm(rawValue: text) else {
            throw ConfigurationError("SSH_KEY_TYPE must be ed25519 or rsa-4096")
        }
        return algorithm
    }

    private func phase(_ name: String, allowingQueued: Bool = false) throws -> ProvisionPhase? {
        guard let text = string(name) else { return nil }
        let allowed = allowingQueued ? ProvisionPhase.allCases : Array(ProvisionPhase.allCases.dropFirst())
        guard let phase = ProvisionPhase(rawValue: text), allowed.contains(phase) else {
            let phases = allowed.map(\.rawValue).joined(separator: ", ")
            throw ConfigurationError("\(name) must be one of: \(phases)")
        }
        return phase
    }

    private func httpSettings() throws -> HTTPSettings {
        HTTPSettings(
            trustForwardedFor: boolean("HTTP_TRUST_FORWARDED_FOR"),
            maximumUnpaidPerAddress: try integer("HTTP_MAX_UNPAID_PER_ADDRESS", default: 3, in: 0...1_000_000),
            maximumBodyBytes: Int(try integer("HTTP_MAX_BODY_BYTES", default: 16_384, in: 256...(16 << 20))),
            requestTimeoutSeconds: try integer("HTTP_REQUEST_TIMEOUT_SECONDS", default: 30, in: 1...3600),
            eventStreamKeepAliveSeconds: try integer("HTTP_EVENTS_KEEPALIVE_SECONDS", default: 15, in: 1...3600),
            maximumConnectionsPerAddress: Int(try integer("HTTP_MAX_CONNECTIONS_PER_ADDRESS", default: 32, in: 1...100_000)),
            maximumStreamsPerAddress: Int(try integer("HTTP_MAX_STREAMS_PER_ADDRESS", default: 8, in: 1...100_000)))
    }

    private func callerLimits() throws -> CallerLimits {
        let connections = try integer("MAX_CONNECTIONS", default: 512, in: 1...100_000)
        // The default reserve never takes more than half the slots, so a small MAX_CONNECTIONS still serves clients.
        let reserved = try integer("ADMIN_RESERVED_CONNECTIONS", default: min(16, connections / 2), in: 0...100_000)
        guard reserved < connections else {
            throw ConfigurationError("ADMIN_RESERVED_CONNECTIONS must be less than MAX_CONNECTIONS (\(connections))")
        }
        return CallerLimits(
            adminReservedConnections: Int(reserved),
            requestsInFlightPerConnection: Int(try integer("MAX_REQUESTS_IN_FLIGHT", default: 16, in: 1...10_000)),
            batchLength: Int(try integer("MAX_BATCH_LENGTH", default: 100, in: 1...100_000)),
            watchesPerConnection: Int(try integer("MAX_WATCHES_PER_CONNECTION", default: 32, in: 1...100_000)),
            watchesPerJob: Int(try integer("MAX_WATCHES_PER_JOB", default: 16, in: 1...100_000)),
            createsPerMinute: Int(try integer("CREATE_RATE_PER_MINUTE", default: 10, in: 0...100_000)))
    }

    /// `NODE_*_IMAGE`: each replaces one pinned image, e.g. with a digest the operator verified.
    private func nodeImages() throws -> NodeImages {
        var images = NodeImages.pinned
        images.bitcoin = string("NODE_BITCOIN_IMAGE") ?? images.bitcoin
        images.lnd = string("NODE_LND_IMAGE") ?? images.lnd
        images.lnbits = string("NODE_LNBITS_IMAGE") ?? images.lnbits
        for (setting, image) in images.bySetting where !NodeImages.isValidReference(image) {
            throw ConfigurationError("\(setting) must be \(NodeImages.referenceForm), such as \(NodeImageVersions.lnd)")
        }
        return images
    }

    private func nodeSetupSettings() throws -> NodeSetupSettings {
        // NODE_SETUP_STALL_SECONDS is for tests, which cannot wait minutes; it wins when set.
        let stallSeconds =
            try string("NODE_SETUP_STALL_SECONDS").map { _ in try integer("NODE_SETUP_STALL_SECONDS", default: 0, in: 1...604_800) }
            ?? (try integer("NODE_SETUP_STALL_MINUTES", default: 45, in: 1...10_080) * 60)
        return NodeSetupSettings(
            callbackURL: try string("NODE_CALLBACK_URL").map { try Self.nodeCallbackURL($0) }, stallSeconds: stallSeconds)
    }

    private func alertSettings() throws -> AlertSettings {
        // ALERT_UPSTREAM_DOWN_SECONDS is for tests, which cannot wait minutes; it wins when set.
        let downSeconds =
            try string("ALERT_UPSTREAM_DOWN_SECONDS").map { _ in
                try integer("ALERT_UPSTREAM_DOWN_SECONDS", default: 0, in: 1...604_800)
            } ?? (try integer("ALERT_UPSTREAM_DOWN_MINUTES", default: 10, in: 1...10_080) * 60)
        var backoff = AlertBackoff()
        backoff.baseDelayMilliseconds = try integer("ALERT_RETRY_BASE_MS", default: 5000, in: 10...3_600_000)
        return AlertSettings(
            webhookURL: try string("ALERT_WEBHOOK_URL").map { try Self.alertWebhookURL($0) },
            upstreamDownSeconds: downSeconds, backoff: backoff,
            checkIntervalMilliseconds: try integer("ALERT_CHECK_INTERVAL_MS", default: 1000, in: 10...600_000))
    }

    /// `ALERT_WEBHOOK_URL`: HTTPS (plain HTTP only to loopback), a host, no user info, no
    /// spaces or control characters. Kept exactly as given (a receiver's path or query may
    /// matter to it), and never logged or shown: webhook URLs often carry a token.
    static func alertWebhookURL(_ text: String) throws -> String {
        let problem = ConfigurationError(
            "ALERT_WEBHOOK_URL must be an https:// URL with a host and no user name or password "
                + "(plain http:// is allowed only for loopback)")
        guard text.hasPrefix("https://") || isLoopbackHTTP(text), !hasUserInfo(text), text.utf8.count <= 2048,
            text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F })
        else { throw problem }
        let authority = text.drop { $0 != ":" }.dropFirst("://".count).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.isEmpty, !authority.hasPrefix(":") else { throw problem }
        return text
    }

    /// `NODE_CALLBACK_URL`: the web front's base URL as a node reaches it. HTTPS (plain HTTP
    /// only to loopback, for tests), a host, no user info, no query or fragment; a path is
    /// kept (a front under `/timmy`), trailing slashes dropped.
    static func nodeCallbackURL(_ text: String) throws -> String {
        let problem = ConfigurationError(
            "NODE_CALLBACK_URL must be an https:// base URL with a host and no user info, query or fragment "
                + "(plain http:// is allowed only for loopback)")
        guard text.hasPrefix("https://") || isLoopbackHTTP(text) else { throw problem }
        // It goes into a shell script and a curl command line on the node: printable ASCII with no
        // quotes or backslashes, short enough that the job's report URL stays well within bounds.
        guard !text.contains("?"), !text.contains("#"), text.utf8.count <= 400,
            text.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0.value < 0x7F && !"\"'`\\".unicodeScalars.contains($0) })
        else { throw problem }
        let rest = text.drop { $0 != ":" }.dropFirst("://".count)
        let authority = rest.prefix { $0 != "/" }
        guard !authority.isEmpty, !authority.contains("@"), !authority.hasPrefix(":") else { throw problem }
        var url = text
        while url.hasSuffix("/") { url.removeLast() }
        return url
    }

    private func logLevel() throws -> Logger.Level {
        guard let text = string("LOG_LEVEL") else { return .info }
        guard let level = Logger.Level(rawValue: text.lowercased()) else {
            throw ConfigurationError("LOG_LEVEL must be one of trace, debug, info, notice, warning, error, critical")
        }
        return level
    }

    // MARK: Secrets

    /// Whoever may write the env file may point an upstream URL at their own server and
    /// receive the key sent with it: the file must be root's or timmyd's, and nobody else's to write.
    static func refuseWritableByOthers(_ path: String, mode: mode_t, owner: uid_t) throws {
        guard owner == 0 || owner == geteuid() else {
            throw ConfigurationError("--env-file: \(path) belongs to uid \(owner); it must belong to root or to timmyd's user")
        }
        guard mode & 0o022 == 0 else {
            throw ConfigurationError(
                "--env-file: \(path) has mode \(String(mode & 0o777, radix: 8)), writable by group or others; run chmod go-w on it")
        }
    }

    /// A secret written inline in an env file that group or others can read is refused
    /// exactly like a readable `NAME_FILE`: the file is the secret's container. An env
    /// file holding no secret (only settings and `NAME_FILE` paths) may stay readable.
    static func refuseReadableInlineSecrets(_ values: [String: String], path: String, mode: mode_t) throws {
        guard mode & 0o077 != 0 else { return }
        guard let name = secretNames.first(where: { !(values[$0] ?? "").isEmpty }) else { return }
        throw ConfigurationError(
            "\(name) is written in \(path), which has mode \(String(mode & 0o777, radix: 8)), readable by group or others; "
                + "run chmod 600 on it, or move the secret to a file named by \(name)_FILE")
    }

    func secret(_ name: String) throws -> Secret? {
        let direct = string(name)
        let file = string("\(name)_FILE")
        if direct != nil && file != nil {
            throw ConfigurationError("set either \(name) or \(name)_FILE, not both")
        }
        if let direct { return Secret(direct) }
        if let file { return Secret(try SecretFile.read(file, for: "\(name)_FILE")) }
        if let directory = string("CREDENTIALS_DIRECTORY") {
            let path = directory + "/" + name
            if access(path, F_OK) == 0 { return Secret(try SecretFile.read(path, for: name)) }
        }
        return nil
    }

    private func lnbitsSettings() throws -> LNbitsSettings? {
        let key = try secret("LNBITS_API_KEY")
        let adminKey = try secret("LNBITS_ADMIN_KEY")
        guard let url = string("LNBITS_URL") else {
            if key != nil || adminKey != nil {
                throw ConfigurationError("an LNbits key is set but LNBITS_URL is not")
            }
            return nil
        }
        guard let key else { throw ConfigurationError("LNBITS_URL is set but LNBITS_API_KEY (the invoice key) is not") }
        return LNbitsSettings(url: try baseURL(url, name: "LNBITS_URL"), invoiceKey: key, adminKey: adminKey)
    }

    private func digitalOceanSettings() throws -> DigitalOceanSettings? {
        guard let token = try secret("DO_API_TOKEN") else { return nil }
        let url = string("DO_API_URL") ?? "https://api.digitalocean.com"
        return DigitalOceanSettings(
            apiURL: try baseURL(url, name: "DO_API_URL"), token: token,
            dropletActiveTimeoutSeconds: try integer("DROPLET_ACTIVE_TIMEOUT_SECONDS", default: 600, in: 1...86_400),
            dropletPollIntervalMilliseconds: try integer("DROPLET_POLL_INTERVAL_MS", default: 5000, in: 10...600_000),
            httpTimeoutMilliseconds: try integer("CLOUD_HTTP_TIMEOUT_MS", default: 30_000, in: 100...600_000),
            retryAttempts: try integer("CLOUD_RETRY_ATTEMPTS", default: 5, in: 1...20),
            retryBaseDelayMilliseconds: try integer("CLOUD_RETRY_BASE_MS", default: 1000, in: 1...60_000))
    }

    private func tailscaleSettings() throws -> TailscaleSettings? {
        guard let key = try secret("TAILSCALE_API_KEY") else { return nil }
        let url = string("TAILSCALE_API_URL") ?? "https://api.tailscale.com"
        let tailnet = string("TAILSCALE_TAILNET") ?? "-"
        guard tailnet.utf8.count <= 200, !tailnet.contains("/"), !tailnet.contains("?"), !tailnet.contains("#") else {
            throw ConfigurationError("TAILSCALE_TAILNET must be a tailnet name, or - for the API key's own")
        }
        return TailscaleSettings(
            apiURL: try baseURL(url, name: "TAILSCALE_API_URL"), apiKey: key, tailnet: tailnet,
            tags: try tailscaleTags(),
            keyExpirySeconds: try integer("TAILSCALE_KEY_EXPIRY_SECONDS", default: 3600, in: 60...7_776_000))
    }

    /// `TAILSCALE_TAGS`: comma-separated `tag:name` (letters, digits, -); at least one,
    /// since keys made with an OAuth client must carry tags.
    private func tailscaleTags() throws -> [String] {
        guard let text = string("TAILSCALE_TAGS") else { return ["tag:timmy-node"] }
        let tags = text.split(separator: ",").map { String($0.trimmingWhitespace()) }.filter { !$0.isEmpty }
        let valid = !tags.isEmpty && tags.allSatisfy { tag in
            tag.hasPrefix("tag:") && tag.count > 4 && tag.count <= 67
                && tag.dropFirst(4).unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-") }
        }
        guard valid else { throw ConfigurationError("TAILSCALE_TAGS must be comma-separated tags such as tag:timmy-node") }
        return tags
    }

    /// HTTPS, or plain HTTP to a loopback address (local test servers): secrets never cross a network in clear.
    private func baseURL(_ text: String, name: String) throws -> String {
        var url = text
        while url.hasSuffix("/") { url.removeLast() }
        guard url.hasPrefix("https://") || Self.isLoopbackHTTP(url) else {
            throw ConfigurationError("\(name) must start with https:// (plain http:// is allowed only for loopback)")
        }
        // Credentials in a URL would be shown wherever the URL is (log lines, admin replies);
        // each upstream takes its key from a secret setting instead.
        guard !Self.hasUserInfo(url) else {
            throw ConfigurationError("\(name) must not contain a user name or password (user:password@host); give keys as secrets")
        }
        return url
    }

    /// Whether the URL's authority (between `scheme://` and the first `/`, `?` or `#`) holds
    /// user info. Without a `scheme://` the whole text up to a `/` counts as the authority.
    static func hasUserInfo(_ url: String) -> Bool {
        var afterScheme = url[...]
        if let colon = url.firstIndex(of: ":"), url[colon...].hasPrefix("://") {
            afterScheme = url[url.index(colon, offsetBy: 3)...]
        }
        return afterScheme.prefix { $0 != "/" && $0 != "?" && $0 != "#" }.contains("@")
    }

    /// Whether `url` is plain HTTP whose host is localhost, [::1] or an IPv4 address in 127.0.0.0/8.
    /// The whole host is checked, not a prefix: `http://127.example.com` and
    /// `http://localhost@example.com` (user info before the real host) are not loopback.
    static func isLoopbackHTTP(_ url: String) -> Bool {
        guard url.hasPrefix("http://") else { return false }
        let authority = url.dropFirst("http://".count).prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        guard !authority.contains("@") else { return false }
        var host = authority
        if let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") {
            let port = authority[authority.index(after: colon)...]
            guard !port.isEmpty, port.allSatisfy({ $0.isASCII && $0.isNumber }) else { return false }
            host = authority[..<colon]
        }
        if host == "localhost" || host == "[::1]" { return true }
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets.first == "127"
            && octets.allSatisfy { octet in
                !octet.isEmpty && octet.count <= 3 && octet.allSatisfy { $0.isASCII && $0.isNumber } && Int(octet)! <= 255
            }
    }
}
