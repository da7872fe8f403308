import Foundation
import Protocol
import Testing

/// Finding: with `X-Forwarded-For` trust off, every web buyer shares the address `unix`,
/// so three unpaid jobs blocked everyone for an hour; an IPv6 buyer could pick a fresh
/// address per purchase; and create-then-cancel could spin without limit. Now the daemon
/// warns at start-up when trust is off, counts IPv6 buyers by their /64, and limits
/// `bootstrap.create` per address (or per local uid) with `CREATE_RATE_PER_MINUTE`.
@Suite(.serialized) struct SharedWebAddressTests {
    static let warning = "HTTP_TRUST_FORWARDED_FOR is off"

    @Test func startingWithTrustOffWarnsInTheLog() throws {
        let untrusted = try DaemonHarness().start()
        #expect(untrusted.log_().contains(Self.warning))
        #expect(untrusted.log_().contains("warning"))
        let trusted = try DaemonHarness(environment: ["HTTP_TRUST_FORWARDED_FOR": "true"]).start()
        #expect(!trusted.log_().contains(Self.warning))
    }

    @Test func twoIPv6AddressesInOneSlash64ShareTheUnpaidCap() throws {
        let daemon = try DaemonHarness(
            environment: ["HTTP_TRUST_FORWARDED_FOR": "true", "HTTP_MAX_UNPAID_PER_ADDRESS": "2"]).start()
        _ = try daemon.httpCreate(headers: ["X-Forwarded-For: 2001:db8:1:2::1"])
        _ = try daemon.httpCreate(headers: ["X-Forwarded-For: 2001:db8:1:2:aaaa:bbbb:cccc:dddd"])
        let third = try daemon.http("POST", "/api/bootstrap", body: "{}", headers: ["X-Forwarded-For: 2001:db8:1:2::3"])
        #expect(third.status == 429)
        #expect(third.errorReason == "too_many_unpaid")
        // The next /64 is another buyer.
        #expect(try daemon.http("POST", "/api/bootstrap", body: "{}", headers: ["X-Forwarded-For: 2001:db8:1:3::1"]).status == 201)
    }

    @Test func createThenCancelCannotSpin() throws {
        let daemon = try DaemonHarness(
            environment: ["HTTP_TRUST_FORWARDED_FOR": "true", "CREATE_RATE_PER_MINUTE": "3"]).start()
        let buyer = ["X-Forwarded-For: 198.51.100.4"]
        for _ in 0..<3 {
            let job = try daemon.httpCreate(headers: buyer)
            #expect(try daemon.http("POST", "/api/bootstrap/\(job.jobId)/cancel", token: job.accessToken).status == 200)
        }
        let spun = try daemon.http("POST", "/api/bootstrap", body: "{}", headers: buyer)
        #expect(spun.status == 429)
        #expect(spun.errorReason == "rate_limited")
        let wait = try #require(spun.json?["error"]?["data"]?["retryAfterSeconds"]?.intValue)
        #expect((1...20).contains(wait))
        #expect(spun.headers["retry-after"] == String(wait))
        // POST /rpc is the same purchase and meets the same limit; nothing was created.
        let viaRPC = try daemon.http("POST", "/rpc", body: #"{"jsonrpc":"2.0","id":1,"method":"bootstrap.create"}"#, headers: buyer)
        #expect(viaRPC.json?["error"]?["data"]?["reason"] == "rate_limited")
        #expect(try daemon.call("admin.stats")["jobsByState"]?["cancelled"] == 3)
        #expect((try daemon.call("admin.stats")["jobsByState"]?["awaiting_payment"]?.intValue ?? 0) == 0)
        // Another address, and the operator on the socket, are not held back.
        #expect(try daemon.http("POST", "/api/bootstrap", body: "{}", headers: ["X-Forwarded-For: 198.51.100.5"]).status == 201)
        _ = try daemon.create()
    }

    @Test(.enabled(if: getuid() == 0, "needs root to run a client as nobody"))
    func aLocalClientIsLimitedByItsUID() throws {
        let daemon = try DaemonHarness(environment: ["TIMMY_SOCKET_GROUP": "nogroup", "CREATE_RATE_PER_MINUTE": "2"]).start()
        let binary = daemon.folder + "/timmyctl"
        try FileManager.default.copyItem(atPath: Binaries.timmyctl, toPath: binary)
        chmod(binary, 0o755)
        func createAsNobody() throws -> CommandResult {
            try runProgram(
                "/usr/bin/setpriv",
                ["--reuid=65534", "--regid=65534", "--clear-groups", binary, "call", "bootstrap.create", "{}"],
                environment: ["TIMMY_SOCKET": daemon.socketPath, "HOME": daemon.folder])
        }
        #expect(try createAsNobody().status == 0)
        #expect(try createAsNobody().status == 0)
        let refused = try createAsNobody()
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("[rate_limited]"), "\(refused.stderr)")
    }
}
