import Foundation
import Protocol
import Testing

/// Finding 10: secrets reachable through configuration. A secret written inline in
/// an env file others can read, and credentials inside a URL setting, are refused
/// at start-up (exit 78, naming the variable, never the value); clients see only
/// whether an upstream is well, never its address or error text.
@Suite(.serialized)
struct SecretsInConfigurationTests {
    static let secret = "sk-ENV-FILE-SECRET-77"

    /// Starts timmyd, which must refuse and exit; one that starts anyway is stopped
    /// after 10 s (`timeout` exits 124) and fails the test.
    func refusedStart(_ daemon: DaemonHarness, environment: [String: String] = [:], arguments: [String] = []) throws
        -> CommandResult
    {
        let result = try runProgram(
            "/usr/bin/timeout",
            ["10", Binaries.timmyd, "--socket", daemon.socketPath, "--state-dir", daemon.stateDirectory] + arguments,
            environment: environment)
        #expect(result.status == 78, "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath), "refused before serving")
        return result
    }

    @Test(arguments: ["LNBITS_API_KEY", "LNBITS_ADMIN_KEY", "DO_API_TOKEN", "TAILSCALE_API_KEY"])
    func inlineSecretInAWorldReadableEnvFileIsRefused(_ name: String) throws {
        let daemon = try DaemonHarness()
        let envFile = daemon.folder + "/timmyd.env"
        try "LNBITS_URL=https://lnbits.example\n\(name)=\(Self.secret)\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        chmod(envFile, 0o644)
        let result = try refusedStart(daemon, arguments: ["--env-file", envFile])
        #expect(result.stderr.contains(name), "\(result.stderr)")
        #expect(result.stderr.contains(envFile))
        #expect(result.stderr.contains("644"), "names the mode")
        #expect(!(result.stdout + result.stderr).contains(Self.secret))
    }

    /// Whoever may write the env file could point LNBITS_URL at their own server and
    /// receive the key from LNBITS_API_KEY_FILE: such a file is refused, as is one
    /// that belongs to another user.
    @Test func envFileOthersMayWriteOrOwnIsRefused() throws {
        let daemon = try DaemonHarness()
        let envFile = daemon.folder + "/timmyd.env"
        try "BOOTSTRAP_FEE_SATS=4321\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        chmod(envFile, 0o666)
        let writable = try refusedStart(daemon, arguments: ["--env-file", envFile])
        #expect(writable.stderr.contains("666") && writable.stderr.contains(envFile), "\(writable.stderr)")
        if getuid() == 0 {
            chmod(envFile, 0o644)
            chown(envFile, DaemonHarness.nobody, DaemonHarness.nobody)
            let foreign = try refusedStart(daemon, arguments: ["--env-file", envFile])
            #expect(foreign.stderr.contains("uid \(DaemonHarness.nobody)"), "\(foreign.stderr)")
        }
    }

    @Test func readableEnvFileWithoutSecretsStillStarts() throws {
        let daemon = try DaemonHarness()
        let envFile = daemon.folder + "/timmyd.env"
        try "BOOTSTRAP_FEE_SATS=4321\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        chmod(envFile, 0o644)
        try daemon.start(extraArguments: ["--env-file", envFile])
        #expect(try daemon.call("daemon.info")["priceSats"] == 4321)
    }

    @Test(arguments: [
        ("LNBITS_URL", ["LNBITS_API_KEY": "k"]), ("DO_API_URL", ["DO_API_TOKEN": "t"]),
        ("TAILSCALE_API_URL", ["TAILSCALE_API_KEY": "k"]),
    ])
    func urlWithCredentialsIsRefusedAtStartUp(_ name: String, _ companions: [String: String]) throws {
        let daemon = try DaemonHarness()
        let password = "pw-IN-URL-91"
        let url = "https://operator:\(password)@api.example"
        let fromEnvironment = try refusedStart(daemon, environment: companions.merging([name: url]) { _, new in new })
        #expect(fromEnvironment.stderr.contains(name), "\(fromEnvironment.stderr)")
        #expect(!(fromEnvironment.stdout + fromEnvironment.stderr).contains(password))

        let envFile = daemon.folder + "/timmyd.env"
        try "\(name)=\(url)\n".write(toFile: envFile, atomically: true, encoding: .utf8)
        chmod(envFile, 0o600)
        let fromFile = try refusedStart(daemon, environment: companions, arguments: ["--env-file", envFile])
        #expect(fromFile.stderr.contains(name))
        #expect(!(fromFile.stdout + fromFile.stderr).contains(password))
    }

    /// LNbits on a loopback port nothing listens on: the purchase fails with the
    /// upstream's error, which admins may read and clients may not.
    @Test(.enabled(if: DaemonHarness.canRunAsNobody, "needs root to run a client as nobody"))
    func clientsSeeUpstreamHealthButNoErrorTextOrAddress() throws {
        let unreachable = "http://127.0.0.1:9"
        let daemon = try DaemonHarness(environment: [
            "LNBITS_URL": unreachable, "LNBITS_API_KEY": "k", "TIMMY_SOCKET_GROUP": "nogroup",
        ]).start()
        #expect(try daemon.callError("bootstrap.create").reason == "upstream_unavailable")

        let admin = try daemon.call("daemon.info")
        #expect(admin["payments"]?["health"] == "degraded")
        #expect(admin["payments"]?["lastError"]?.stringValue?.isEmpty == false, "admins keep the detail")

        let asNobody = try daemon.ctlAsNobody(["info", "--json"])
        #expect(asNobody.status == 0, "\(asNobody.stderr)")
        let overHTTP = try daemon.http("GET", "/api/info")
        #expect(overHTTP.status == 200)
        for (caller, text) in [("nobody", asNobody.stdout), ("HTTP", overHTTP.body)] {
            let info = try JSONValue.parse(text)
            #expect(info["payments"]?["health"] == "degraded", "\(caller)")
            #expect(info["payments"]?["lastError"] == nil, "\(caller): \(text)")
            #expect(!text.contains("127.0.0.1") && !text.contains("http://"), "\(caller) sees no upstream address: \(text)")
            #expect(!text.lowercased().contains("connect"), "\(caller) sees no upstream error text: \(text)")
        }
    }
}
