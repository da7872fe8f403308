import Glibc
import Protocol
import Testing
@testable import timmyd

@Suite struct ConfigurationLoaderTests {
    let directory: TemporaryDirectory

    init() throws {
        directory = try TemporaryDirectory()
    }

    private func load(_ environment: [String: String], envFile: String? = nil) throws -> DaemonConfiguration {
        try ConfigurationLoader(environment: environment, envFile: envFile)
            .load(socketPath: nil, stateDirectory: nil, requireReal: false)
    }

    // MARK: Defaults and precedence

    @Test func defaultsWithAnEmptyEnvironment() throws {
        let configuration = try load([:])
        #expect(configuration.socketPath == "/run/timmyd/timmyd.sock")
        #expect(configuration.stateDirectory == "/var/lib/timmyd")
        #expect(configuration.socketGroup == "timmy")
        #expect(configuration.socketMode == 0o660)
        #expect(configuration.adminGroup == "timmy-admin")
        #expect(configuration.maximumRequestBytes == 65_536)
        #expect(configuration.maximumConnections == 512)
        #expect(configuration.idleTimeoutSeconds == 300)
        #expect(configuration.plan == NodePlan(region: "nyc3", size: "s-2vcpu-4gb", image: "ubuntu-24-04-x64", volumeSizeGB: 0))
        #expect(configuration.priceSats == 50_000)
        #expect(configuration.invoiceExpirySeconds == 3600)
        #expect(configuration.latePaymentGraceSeconds == 86_400)
        #expect(configuration.paymentPollIntervalMilliseconds == 1000)
        #expect(configuration.sshKeyAlgorithm == .ed25519)
        #expect(configuration.keyRetentionSeconds == 30 * 86_400)
        #expect(configuration.keyConfirmWindowSeconds == 600)
        #expect(configuration.stubProvisionFailAt == nil)
        #expect(configuration.lnbits == nil)
        #expect(configuration.digitalOcean == nil)
        #expect(configuration.tailscale == nil)
        #expect(configuration.paymentsAreStubbed)
        #expect(configuration.provisioningIsStubbed)
        #expect(!configuration.requireReal)
        #expect(configuration.logLevel == .info)
    }

    @Test func commandLineWinsOverEnvironment() throws {
        let configuration = try ConfigurationLoader(
            environment: ["TIMMY_SOCKET": "/env.sock", "TIMMY_STATE_DIR": "/env-state"], envFile: nil
        ).load(socketPath: "/cli.sock", stateDirectory: "/cli-state", requireReal: true)
        #expect(configuration.socketPath == "/cli.sock")
        #expect(configuration.stateDirectory == "/cli-state")
        #expect(configuration.requireReal)
    }

    @Test func readsValuesFromTheEnvironment() throws {
        let configuration = try load([
            "TIMMY_SOCKET": "/tmp/t.sock", "TIMMY_SOCKET_MODE": "0600", "BOOTSTRAP_FEE_SATS": "21000",
            "SSH_KEY_TYPE": "rsa-4096", "KEY_RETENTION_DAYS": "2", "KEY_CONFIRM_WINDOW_SECONDS": "90",
            "STUB_PROVISION_FAIL_AT": "droplet_created",
            "TIMMY_REQUIRE_REAL": "yes", "LOG_LEVEL": "DEBUG", "DO_VOLUME_SIZE_GB": "100",
        ])
        #expect(configuration.socketPath == "/tmp/t.sock")
        #expect(configuration.socketMode == 0o600)
        #expect(configuration.priceSats == 21_000)
        #expect(configuration.sshKeyAlgorithm == .rsa4096)
        #expect(configuration.keyRetentionSeconds == 2 * 86_400)
        #expect(configuration.keyConfirmWindowSeconds == 90)
        #expect(configuration.stubProvisionFailAt == .dropletCreated)
        #expect(configuration.requireReal)
        #expect(configuration.logLevel == .debug)
        #expect(configuration.plan.volumeSizeGB == 100)
    }

    @Test func emptyValueMeansUnset() throws {
        #expect(try load(["TIMMY_SOCKET": "", "BOOTSTRAP_FEE_SATS": ""]).socketPath == "/run/timmyd/timmyd.sock")
    }

    @Test func environmentWinsOverEnvFile() throws {
        let envFile = directory.file("timmyd.env")
        try writeFile(envFile, "BOOTSTRAP_FEE_SATS=1000\nDO_REGION=ams3\n# comment\nexport LOG_LEVEL=warning\n")
        let configuration = try load(["BOOTSTRAP_FEE_SATS": "2000"], envFile: envFile)
        #expect(configuration.priceSats == 2000, "the process environment wins")
        #expect(configuration.plan.region == "ams3", "the env file fills in the rest")
        #expect(configuration.logLevel == .warning)
    }

    @Test func unreadableEnvFileIsAnError() throws {
        let error = try #require(configurationError { try load([:], envFile: directory.file("missing.env")) })
        #expect(error.contains("missing.env"))
    }

    @Test func badEnvFileLineIsReportedWithPathAndLine() throws {
        let envFile = directory.file("bad.env")
        try writeFile(envFile, "A=1\nnot an assignment\n")
        let error = try #require(configurationError { try load([:], envFile: envFile) })
        #expect(error == "\(envFile):2: expected KEY=VALUE")
    }

    @Test(arguments: ConfigurationLoader.secretNames, [0o644, 0o640, 0o604] as [mode_t])
    func inlineSecretInAReadableEnvFileIsRefusedLikeAReadableSecretFile(_ name: String, _ mode: mode_t) throws {
        let envFile = directory.file("timmyd.env")
        try writeFile(envFile, "DO_REGION=ams3\n\(name)=\(Self.secretValue)\n", mode: mode)
        let error = try #require(configurationError { try load([:], envFile: envFile) })
        #expect(error.contains(name), "names the variable")
        #expect(error.contains(envFile), "names the file")
        #expect(error.contains(String(mode, radix: 8)), "shows the mode")
        #expect(!error.contains(Self.secretValue), "never the value")
    }

    @Test(arguments: [0o664, 0o646, 0o666] as [mode_t])
    func envFileOthersMayWriteIsRefused(_ mode: mode_t) throws {
        let envFile = directory.file("timmyd.env")
        try writeFile(envFile, "DO_REGION=ams3\n", mode: mode)
        let error = try #require(configurationError { try load([:], envFile: envFile) })
        #expect(error.contains(envFile) && error.contains(String(mode, radix: 8)) && error.contains("chmod go-w"), "\(error)")
    }

    @Test func inlineSecretInAPrivateEnvFileIsAccepted() throws {
        let envFile = directory.file("timmyd.env")
        try writeFile(envFile, "DO_API_TOKEN=\(Self.secretValue)\n", mode: 0o600)
        #expect(try load([:], envFile: envFile).digitalOcean?.token.reveal() == Self.secretValue)
    }

    @Test func readableEnvFileWithoutSecretsIsAccepted() throws {
        let envFile = directory.file("timmyd.env")
        let secretFile = directory.file("do-token")
        try writeFile(secretFile, Self.secretValue)
        try writeFile(envFile, "DO_REGION=ams3\nDO_API_TOKEN_FILE=\(secretFile)\nLNBITS_API_KEY=\n", mode: 0o644)
        let configuration = try load([:], envFile: envFile)
        #expect(configuration.plan.region == "ams3")
        #expect(configuration.digitalOcean?.token.reveal() == Self.secretValue)
    }

    // MARK: Numbers

    @Test(arguments: [
        ("BOOTSTRAP_FEE_SATS", "abc"), ("BOOTSTRAP_FEE_SATS", "0"), ("BOOTSTRAP_FEE_SATS", "-5"),
        ("BOOTSTRAP_FEE_SATS", "1.5"), ("MAX_CONNECTIONS", "100001"), ("IDLE_TIMEOUT_SECONDS", "9999999999999999999999"),
        ("PAYMENT_POLL_INTERVAL_MS", "9"), ("MAX_REQUEST_BYTES", "1023"), ("KEY_RETENTION_DAYS", " 3"),
        ("KEY_CONFIRM_WINDOW_SECONDS", "0"), ("KEY_CONFIRM_WINDOW_SECONDS", "604801"), ("KEY_CONFIRM_WINDOW_SECONDS", "10m"),
    ])
    func invalidNumberNamesTheVariable(_ name: String, _ value: String) throws {
        let error = try #require(configurationError { try load([name: value]) })
        #expect(error.hasPrefix("\(name) must be a whole number from "))
    }

    @Test func numbersAtTheEdgesOfTheirRangeAreAccepted() throws {
        let configuration = try load(["MAX_REQUEST_BYTES": "1024", "LATE_PAYMENT_GRACE_SECONDS": "0"])
        #expect(configuration.maximumRequestBytes == 1024)
        #expect(configuration.latePaymentGraceSeconds == 0)
    }

    @Test(arguments: ["0800", "rw-rw----", "1777", "-1"])
    func invalidSocketModeIsRefused(_ mode: String) throws {
        let error = try #require(configurationError { try load(["TIMMY_SOCKET_MODE": mode]) })
        #expect(error.hasPrefix("TIMMY_SOCKET_MODE "))
    }

    @Test(arguments: [("SSH_KEY_TYPE", "dsa"), ("STUB_PROVISION_FAIL_AT", "queued"), ("STUB_PROVISION_FAIL_AT", "nope"), ("LOG_LEVEL", "loud")])
    func invalidChoiceNamesTheVariable(_ name: String, _ value: String) throws {
        let error = try #require(configurationError { try load([name: value]) })
        #expect(error.hasPrefix("\(name) must be"))
    }

    // MARK: Secrets

    static let secretValue = "sk-THE-SECRET-VALUE-42"

    @Test func secretFromTheVariableItself() throws {
        let loader = try ConfigurationLoader(environment: ["DO_API_TOKEN": Self.secretValue], envFile: nil)
        #expect(try loader.secret("DO_API_TOKEN")?.reveal() == Self.secretValue)
        #expect(try loader.secret("TAILSCALE_API_KEY") == nil)
    }

    @Test func secretFromAFileNamedByTheFileVariable() throws {
        let path = directory.file("do-token")
        try writeFile(path, Self.secretValue + "\n", mode: 0o600)
        let loader = try ConfigurationLoader(environment: ["DO_API_TOKEN_FILE": path], envFile: nil)
        #expect(try loader.secret("DO_API_TOKEN")?.reveal() == Self.secretValue, "the trailing newline is dropped")
    }

    @Test(arguments: ["\n", "\r\n", "\n\n", "\r\n\r\n", "\r"])
    func lineEndingAfterAFileSecretIsNotPartOfIt(_ ending: String) throws {
        let path = directory.file("do-token")
        try writeFile(path, Self.secretValue + ending, mode: 0o600)
        let loader = try ConfigurationLoader(environment: ["DO_API_TOKEN_FILE": path], envFile: nil)
        #expect(try loader.secret("DO_API_TOKEN")?.reveal() == Self.secretValue)
    }

    @Test func ownerReadOnlySecretFileIsAccepted() throws {
        let path = directory.file("do-token")
        try writeFile(path, Self.secretValue, mode: 0o400)
        let loader = try ConfigurationLoader(environment: ["DO_API_TOKEN_FILE": path], envFile: nil)
        #expect(try loader.secret("DO_API_TOKEN")?.reveal() == Self.secretValue)
    }

    @Test func variableAndFileVariableBothSetIsAnError() throws {
        let path = directory.file("do-token")
        try writeFile(path, Self.secretValue)
        let loader = try ConfigurationLoader(
            environment: ["DO_API_TOKEN": Self.secretValue, "DO_API_TOKEN_FILE": path], envFile: nil)
        let error = try #require(configurationError { try loader.secret("DO_API_TOKEN") })
        #expect(error == "set either DO_API_TOKEN or DO_API_TOKEN_FILE, not both")
        #expect(!error.contains(Self.secretValue))
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o660, 0o606] as [mode_t])
    func secretFileReadableByOthersIsRefusedWithoutRevealingIt(_ mode: mode_t) throws {
        let path = directory.file("lnbits-key")
        try writeFile(path, Self.secretValue, mode: mode)
        let error = try #require(
            configurationError { try load(["LNBITS_URL": "https://lnbits.example", "LNBITS_API_KEY_FILE": path]) })
        #expect(error.contains(path), "names the file")
        #expect(error.contains("LNBITS_API_KEY_FILE"), "names the variable")
        #expect(error.contains(String(mode, radix: 8)), "shows the mode")
        #expect(!error.contains(Self.secretValue), "never the content")
    }

    @Test func secretFileThatIsMissingADirectoryOrEmptyIsRefused() throws {
        let empty = directory.file("empty")
        try writeFile(empty, "\n")
        for path in [directory.file("missing"), directory.path, empty] {
            let loader = try ConfigurationLoader(environment: ["DO_API_TOKEN_FILE": path], envFile: nil)
            let error = try #require(configurationError { try loader.secret("DO_API_TOKEN") })
            #expect(error.contains(path))
        }
    }

    @Test func secretFromTheCredentialsDirectory() throws {
        try writeFile(directory.file("TAILSCALE_API_KEY"), Self.secretValue, mode: 0o400)
        let loader = try ConfigurationLoader(environment: ["CREDENTIALS_DIRECTORY": directory.path], envFile: nil)
        #expect(try loader.secret("TAILSCALE_API_KEY")?.reveal() == Self.secretValue)
        #expect(try loader.secret("DO_API_TOKEN") == nil, "a credential that is not there is simply unset")
    }

    @Test func credentialsDirectoryFileIsCheckedToo() throws {
        try writeFile(directory.file("TAILSCALE_API_KEY"), Self.secretValue, mode: 0o644)
        let loader = try ConfigurationLoader(environment: ["CREDENTIALS_DIRECTORY": directory.path], envFile: nil)
        let error = try #require(configurationError { try loader.secret("TAILSCALE_API_KEY") })
        #expect(!error.contains(Self.secretValue))
    }

    @Test func explicitVariableWinsOverTheCredentialsDirectory() throws {
        try writeFile(directory.file("DO_API_TOKEN"), "from-credentials")
        let loader = try ConfigurationLoader(
            environment: ["CREDENTIALS_DIRECTORY": directory.path, "DO_API_TOKEN": "from-env"], envFile: nil)
        #expect(try loader.secret("DO_API_TOKEN")?.reveal() == "from-env")
    }

    @Test func secretsComeIntoTheSettings() throws {
        let configuration = try load([
            "LNBITS_URL": "https://lnbits.example/", "LNBITS_API_KEY": "invoice-key", "LNBITS_ADMIN_KEY": "admin-key",
            "DO_API_TOKEN": "do-token", "TAILSCALE_API_KEY": "ts-key", "TAILSCALE_TAILNET": "example.com",
        ])
        let lnbits = try #require(configuration.lnbits)
        #expect(lnbits.url == "https://lnbits.example", "trailing slash dropped")
        #expect(lnbits.invoiceKey.reveal() == "invoice-key")
        #expect(lnbits.adminKey?.reveal() == "admin-key")
        #expect(configuration.digitalOcean?.apiURL == "https://api.digitalocean.com")
        #expect(configuration.digitalOcean?.token.reveal() == "do-token")
        #expect(configuration.tailscale?.apiURL == "https://api.tailscale.com")
        #expect(configuration.tailscale?.tailnet == "example.com")
        #expect(!configuration.paymentsAreStubbed)
        #expect(!configuration.provisioningIsStubbed)
    }

    @Test func cloudProvisioningDefaults() throws {
        let configuration = try load(["DO_API_TOKEN": "do-token", "TAILSCALE_API_KEY": "ts-key"])
        let digitalOcean = try #require(configuration.digitalOcean)
        #expect(digitalOcean.dropletActiveTimeoutSeconds == 600)
        #expect(digitalOcean.dropletPollIntervalMilliseconds == 5000)
        #expect(digitalOcean.httpTimeoutMilliseconds == 30_000)
        #expect(digitalOcean.retryAttempts == 5)
        let tailscale = try #require(configuration.tailscale)
        #expect(tailscale.tailnet == "-")
        #expect(tailscale.tags == ["tag:timmy-node"])
        #expect(tailscale.keyExpirySeconds == 3600)
    }

    @Test func cloudProvisioningSettingsAreRead() throws {
        let configuration = try load([
            "DO_API_TOKEN": "t", "DROPLET_ACTIVE_TIMEOUT_SECONDS": "90", "DROPLET_POLL_INTERVAL_MS": "250",
            "CLOUD_HTTP_TIMEOUT_MS": "2000", "CLOUD_RETRY_ATTEMPTS": "3", "CLOUD_RETRY_BASE_MS": "50",
            "TAILSCALE_API_KEY": "k", "TAILSCALE_TAGS": "tag:timmy-node, tag:btc", "TAILSCALE_KEY_EXPIRY_SECONDS": "600",
        ])
        #expect(configuration.digitalOcean?.dropletActiveTimeoutSeconds == 90)
        #expect(configuration.digitalOcean?.dropletPollIntervalMilliseconds == 250)
        #expect(configuration.digitalOcean?.httpTimeoutMilliseconds == 2000)
        #expect(configuration.digitalOcean?.retryAttempts == 3)
        #expect(configuration.digitalOcean?.retryBaseDelayMilliseconds == 50)
        #expect(configuration.tailscale?.tags == ["tag:timmy-node", "tag:btc"])
        #expect(configuration.tailscale?.keyExpirySeconds == 600)
    }

    @Test(arguments: ["timmy", "tag:", "tag:a_b", ",", "tag:ok,node"])
    func badTailscaleTagsAreRefused(_ tags: String) throws {
        let error = try #require(configurationError { try load(["TAILSCALE_API_KEY": "k", "TAILSCALE_TAGS": tags]) })
        #expect(error.hasPrefix("TAILSCALE_TAGS must be"))
    }

    @Test func plainHTTPTailscaleURLToANonLoopbackHostIsRefused() throws {
        let error = try #require(configurationError { try load(["TAILSCALE_API_KEY": "k", "TAILSCALE_API_URL": "http://api.tailscale.com"]) })
        #expect(error.hasPrefix("TAILSCALE_API_URL must start with https://"))
    }

    @Test func lnbitsKeyWithoutURLOrURLWithoutKeyIsAnError() throws {
        #expect(configurationError { try load(["LNBITS_API_KEY": "k"]) }?.contains("LNBITS_URL is not") == true)
        #expect(configurationError { try load(["LNBITS_URL": "https://l.example"]) }?.contains("LNBITS_API_KEY") == true)
    }

    // MARK: URLs

    @Test(arguments: [
        "https://lnbits.example", "http://127.0.0.1:5000", "http://127.1.2.3", "http://localhost",
        "http://localhost:8080/api", "http://localhost/", "http://[::1]:3000", "http://[::1]",
        "http://127.0.0.1:5000/path?q=1",
    ])
    func httpsOrLoopbackHTTPIsAccepted(_ url: String) throws {
        let configuration = try load(["DO_API_TOKEN": "t", "DO_API_URL": url])
        #expect(configuration.digitalOcean?.apiURL.hasPrefix(url.hasSuffix("/") ? String(url.dropLast()) : url) == true)
    }

    @Test(arguments: [
        "http://lnbits.example", "http://10.0.0.1", "ftp://127.0.0.1", "lnbits.example", "HTTP://example.com",
        "http://127.example.com", "http://127.0.0.1.example.com", "http://127.0.0.1@lnbits.example",
        "http://localhost:80@lnbits.example/", "http://localhost.example.com", "http://[::1]@lnbits.example",
        "http://127.0.0.256", "http://localhost:80x", "http://[::1].example.com",
    ])
    func plainHTTPToANonLoopbackHostIsRefused(_ url: String) throws {
        let error = try #require(configurationError { try load(["LNBITS_URL": url, "LNBITS_API_KEY": "k"]) })
        #expect(error.hasPrefix("LNBITS_URL must start with https://"))
    }
}

extension ConfigurationLoaderTests {
    @Test(arguments: ["LNBITS_URL", "DO_API_URL", "TAILSCALE_API_URL"], [
        "https://user:hunter2@api.example", "https://token@api.example/v1", "https://:hunter2@api.example",
        "http://user:hunter2@127.0.0.1:5000", "https://user:hunter2@[::1]:8080/",
    ])
    func urlWithUserInfoIsRefusedWithoutShowingIt(_ name: String, _ url: String) throws {
        var environment = [
            "LNBITS_URL": "https://lnbits.example", "LNBITS_API_KEY": "k", "DO_API_TOKEN": "t", "TAILSCALE_API_KEY": "k",
        ]
        environment[name] = url
        let error = try #require(configurationError { try load(environment) })
        #expect(error.hasPrefix(name))
        #expect(!error.contains("hunter2") && !error.contains("token@"), "never the URL")
    }

    @Test(arguments: ["https://api.example/users/me@home", "https://api.example?q=a@b", "https://api.example#x@y"])
    func atSignAfterTheHostIsNotUserInfo(_ url: String) {
        #expect(!ConfigurationLoader.hasUserInfo(url))
    }
}

@Suite struct SecretTests {
    static let value = "hunter2-but-longer"

    @Test func descriptionIsRedacted() {
        let secret = Secret(Self.value)
        #expect(secret.description == "<redacted>")
        #expect(secret.debugDescription == "<redacted>")
        #expect("\(secret)" == "<redacted>")
        #expect(String(describing: secret) == "<redacted>")
        #expect(String(reflecting: secret) == "<redacted>")
        #expect(secret.reveal() == Self.value)
    }

    @Test func structHoldingASecretDoesNotPrintIt() {
        let settings = LNbitsSettings(url: "https://l.example", invoiceKey: Secret(Self.value), adminKey: Secret(Self.value))
        for text in [String(describing: settings), "\(settings)", String(reflecting: settings), "\([settings])"] {
            #expect(!text.contains(Self.value), "\(text)")
            #expect(text.contains("<redacted>"))
        }
    }

    @Test func dumpDoesNotPrintIt() {
        var text = ""
        dump(DigitalOceanSettings(apiURL: "https://d.example", token: Secret(Self.value)), to: &text)
        #expect(!text.contains(Self.value), "\(text)")
    }

    @Test func mirrorDoesNotExposeIt() {
        let children = Mirror(reflecting: Secret(Self.value)).children.map { "\($0.value)" }
        #expect(!children.contains(Self.value))
    }
}
