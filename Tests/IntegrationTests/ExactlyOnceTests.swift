import Foundation
import Protocol
import Testing

@Suite(.serialized)
struct ExactlyOnceTests {
    /// Racing claims before any confirmation all get the identical key and one
    /// deadline: the first claim fixes it, the others only read it.
    @Test func twentyConcurrentClaimsGetTheIdenticalKeyAndOneDeadline() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.readyJob()

        let replies = try daemon.burst(count: 20, "bootstrap.claimKey", daemon.credentials(job))
        let keys = try replies.map { try ClaimKeyResult(json: try $0.outcome.get()) }
        #expect(keys.count == 20)
        #expect(Set(keys.map(\.sshPrivateKey)).count == 1)
        #expect(Set(keys.map(\.confirmBy)).count == 1)
        #expect(keys.first?.sshKeyFingerprint == SSHKeyFileFingerprint.of(privateKeyFile: keys.first?.sshPrivateKey ?? ""))
        #expect(try daemon.events(job.jobId, reasonPrefix: "ssh key delivered (first claim)").count == 1)
        #expect(try daemon.events(job.jobId, reasonPrefix: "ssh key delivered").count == 20)
    }

    /// Confirmations racing each other: one wipes, the rest are told it is gone.
    @Test func twentyConcurrentConfirmationsWipeOnce() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.readyJob()
        let key = try daemon.claimKey(job)
        let replies = try daemon.burst(
            count: 20, "bootstrap.confirmKey", daemon.confirmParams(job, fingerprint: key.sshKeyFingerprint))
        let refusals = replies.compactMap { response -> String? in
            if case .failure(let error) = response.outcome { return error.reason }
            return nil
        }
        #expect(refusals.count == 19)
        #expect(Set(refusals) == ["key_already_claimed"])
        #expect(try daemon.events(job.jobId, reasonPrefix: "ssh key receipt confirmed").count == 1)
        #expect(!(try daemon.sealedKeyIsHeld(job.jobId)))
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
