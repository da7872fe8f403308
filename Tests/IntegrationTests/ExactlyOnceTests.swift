import Foundation
import Protocol
import Testing

@Suite(.serialized)
struct ExactlyOnceTests {
    @Test func hundredConcurrentClaimsDeliverTheKeyExactlyOnce() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.create()
        _ = try daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        try daemon.waitFor(job, state: .ready)

        let replies = try daemon.burst(count: 100, "bootstrap.claimKey", daemon.credentials(job))
        let keys = replies.compactMap { try? $0.outcome.get()["sshPrivateKey"]?.stringValue }
        let refusals = replies.compactMap { response -> String? in
            if case .failure(let error) = response.outcome { return error.reason }
            return nil
        }
        #expect(keys.count == 1)
        #expect(refusals.count == 99)
        #expect(Set(refusals) == ["key_already_claimed"])
        let claims = try daemon.events(job.jobId).filter { $0["reason"]?.stringValue?.hasPrefix("ssh key claimed") == true }
        #expect(claims.count == 1)
    }

    @Test func fiftyConcurrentCallersOnAJustPaidJobStartOneProvisioning() throws {
        // A slow watcher, so the callers race each other, not the background round.
        let daemon = try DaemonHarness(environment: ["PAYMENT_POLL_INTERVAL_MS": "600000", "STUB_PROVISION_DELAY_MS": "600"])
            .start()
        let job = try daemon.create()
        // Half pay (simulate), half poll status: every one of them may settle the payment.
        let payers = try (0..<25).map { _ in try daemon.client() }
        let pollers = try (0..<25).map { _ in try daemon.client() }
        let pay = Array(JSONRPCRequest(method: "admin.payments.simulate", params: ["jobId": .string(job.jobId)], id: .number(1)).json.serialized().utf8) + [10]
        let poll = Array(JSONRPCRequest(method: "bootstrap.status", params: daemon.credentials(job), id: .number(1)).json.serialized().utf8) + [10]
        for index in 0..<25 {
            try payers[index].sendRaw(pay)
            try pollers[index].sendRaw(poll)
        }
        for client in payers + pollers {
            let line = try #require(try client.readLine())
            guard case .response(let response) = try ServerMessage(line: line) else { throw HarnessError("no response") }
            #expect((try? response.outcome.get()) != nil)
        }
        try daemon.waitFor(job, state: .ready)
        let events = try daemon.events(job.jobId)
        #expect(events.filter { $0["to"] == "provisioning" }.count == 1)
        for phase in ProvisionPhase.allCases.dropFirst() {
            #expect(events.filter { $0["phase"]?.stringValue == phase.rawValue && $0["to"] == nil }.count == 1, "\(phase)")
        }
        #expect(events.filter { $0["to"] == "ready" }.count == 1)
    }
}
