import Foundation
import Protocol
import Testing

/// The cap on unpaid jobs per client address, and where the address comes from.
@Suite struct HTTPAbuseLimitTests {
    @Test func unpaidJobsPerAddressAreCapped() throws {
        let daemon = try DaemonHarness(environment: ["HTTP_MAX_UNPAID_PER_ADDRESS": "2"]).start()
        let first = try daemon.httpCreate()
        _ = try daemon.httpCreate()
        let third = try daemon.http("POST", "/api/bootstrap", body: "{}")
        #expect(third.status == 429)
        #expect(third.errorReason == "too_many_unpaid")
        #expect(third.json?["error"]?["data"]?["limit"] == 2)
        // POST /rpc is the same purchase and meets the same cap.
        let viaRPC = try daemon.http("POST", "/rpc", body: #"{"jsonrpc":"2.0","id":1,"method":"bootstrap.create"}"#)
        #expect(viaRPC.json?["error"]?["data"]?["reason"] == "too_many_unpaid")
        // Local programs on the socket are not web buyers: no cap.
        _ = try daemon.create()
        // A job that leaves awaiting_payment (paid, cancelled, expired) frees its place.
        _ = try daemon.http("POST", "/api/bootstrap/\(first.jobId)/cancel", token: first.accessToken)
        #expect(try daemon.http("POST", "/api/bootstrap", body: "{}").status == 201)
        #expect(try daemon.http("POST", "/api/bootstrap", body: "{}").status == 429)
    }

    @Test func capOutlivesARestart() throws {
        let daemon = try DaemonHarness(environment: ["HTTP_MAX_UNPAID_PER_ADDRESS": "1"]).start()
        _ = try daemon.httpCreate()
        #expect(daemon.stop() == 0)
        try daemon.start()
        #expect(try daemon.http("POST", "/api/bootstrap", body: "{}").status == 429)
    }

    @Test func forwardedForIsIgnoredUnlessTrusted() throws {
        let daemon = try DaemonHarness(environment: ["HTTP_MAX_UNPAID_PER_ADDRESS": "2"]).start()
        _ = try daemon.httpCreate(headers: ["X-Forwarded-For: 198.51.100.1"])
        _ = try daemon.httpCreate(headers: ["X-Forwarded-For: 198.51.100.2"])
        // Untrusted, every HTTP caller is the one address "unix", whatever the header says.
        let third = try daemon.http("POST", "/api/bootstrap", body: "{}", headers: ["X-Forwarded-For: 198.51.100.3"])
        #expect(third.status == 429)
    }

    @Test func trustedForwardedForCountsEachAddress() throws {
        let daemon = try DaemonHarness(
            environment: ["HTTP_MAX_UNPAID_PER_ADDRESS": "2", "HTTP_TRUST_FORWARDED_FOR": "true"]).start()
        let alice = ["X-Forwarded-For: 198.51.100.1"]
        _ = try daemon.httpCreate(headers: alice)
        _ = try daemon.httpCreate(headers: alice)
        #expect(try daemon.http("POST", "/api/bootstrap", body: "{}", headers: alice).status == 429)
        // Another address has its own allowance; the last entry (the proxy's) is the one that counts.
        #expect(try daemon.http("POST", "/api/bootstrap", body: "{}", headers: ["X-Forwarded-For: 2001:db8::7"]).status == 201)
        let spoofed = ["X-Forwarded-For: 203.0.113.9, 198.51.100.1"]
        #expect(try daemon.http("POST", "/api/bootstrap", body: "{}", headers: spoofed).status == 429)
        // Not an address: counts as "unix", which has its own allowance.
        #expect(try daemon.http("POST", "/api/bootstrap", body: "{}", headers: ["X-Forwarded-For: evil"]).status == 201)
        #expect(try daemon.http("POST", "/api/bootstrap", body: "{}").status == 201)
        #expect(try daemon.http("POST", "/api/bootstrap", body: "{}", headers: ["X-Forwarded-For: x"]).status == 429)
    }
}
