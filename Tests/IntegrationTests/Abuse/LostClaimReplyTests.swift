import Foundation
import Protocol
import Testing

/// Finding: `bootstrap.claimKey` handed the key out once and wiped it, so a claim whose
/// reply never reached the buyer (a closed tab, a proxy timeout) lost them the node.
/// Now the same key comes back until the buyer confirms receipt with its fingerprint,
/// or the confirmation window fixed at the first claim ends.
@Suite(.serialized)
struct LostClaimReplyTests {
    @Test func aClaimWhoseReplyWasDroppedCanBeClaimedAgainOverJSONRPC() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.readyJob()
        try daemon.claimAndDropTheReply(job)

        let again = try daemon.claimKey(job)
        let third = try daemon.claimKey(job)
        #expect(again == third, "every claim before confirmation gets the identical key and deadline")
        #expect(again.sshKeyFingerprint == SSHKeyFileFingerprint.of(privateKeyFile: again.sshPrivateKey))
        #expect(try daemon.status(job).node?.sshKeyFingerprint == again.sshKeyFingerprint)
        #expect(try daemon.sealedKeyIsHeld(job.jobId))
        #expect(!(try daemon.status(job).keyClaimed), "not claimed for good until confirmed")

        let confirmed = try ConfirmKeyResult(
            json: try daemon.call("bootstrap.confirmKey", daemon.confirmParams(job, fingerprint: again.sshKeyFingerprint)))
        #expect(confirmed.jobId == job.jobId)
        #expect(!(try daemon.sealedKeyIsHeld(job.jobId)), "confirming wipes the key column")
        #expect(try daemon.status(job).keyClaimed)

        let refused = try daemon.callError("bootstrap.claimKey", daemon.credentials(job))
        #expect(refused.reason == "key_already_claimed")
        #expect(refused.code == -32005)
        #expect(refused.data?["claimedAt"]?.stringValue != nil)
        let confirmAgain = try daemon.callError(
            "bootstrap.confirmKey", daemon.confirmParams(job, fingerprint: again.sshKeyFingerprint))
        #expect(confirmAgain.reason == "key_already_claimed")

        // Each delivery and the confirmation are in the history, with the caller's uid and no secret.
        let deliveries = try daemon.events(job.jobId, reasonPrefix: "ssh key delivered")
        #expect(deliveries.count == 3)
        #expect(deliveries.allSatisfy { $0["actorUid"] == .int(Int64(getuid())) })
        #expect(try daemon.events(job.jobId, reasonPrefix: "ssh key receipt confirmed").count == 1)
        let history = try daemon.events(job.jobId).map { $0.serialized() }.joined()
        let keyBody = again.sshPrivateKey.split(separator: "\n")[1]
        #expect(!history.contains(keyBody) && !history.contains(job.accessToken))

        daemon.expectAdminStillServed()
        daemon.expectResidentAtMost(200)
    }

    @Test func aClaimWhoseReplyWasDroppedCanBeClaimedAgainOverHTTP() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.readyJob()
        try daemon.claimAndDropTheReply(job, overHTTP: true)

        let claimed = try daemon.http("POST", "/api/bootstrap/\(job.jobId)/key", token: job.accessToken)
        #expect(claimed.status == 200, "\(claimed.body)")
        let key = try ClaimKeyResult(json: try #require(claimed.json))
        let confirmPath = "/api/bootstrap/\(job.jobId)/key/confirm"

        let wrong = try daemon.http(
            "POST", confirmPath, token: job.accessToken, body: #"{"sshKeyFingerprint":"SHA256:AAAAnotTheKey"}"#)
        #expect(wrong.status == 409)
        #expect(wrong.errorReason == "fingerprint_mismatch")
        #expect(wrong.json?["error"]?["code"] == .int(Int64(ApplicationErrorReason.fingerprintMismatch.code)))
        #expect(try daemon.sealedKeyIsHeld(job.jobId), "a wrong fingerprint wipes nothing")
        let noToken = try daemon.http("POST", confirmPath, body: #"{"sshKeyFingerprint":"\#(key.sshKeyFingerprint)"}"#)
        #expect(noToken.status == 401)
        #expect(try daemon.sealedKeyIsHeld(job.jobId))

        let same = try daemon.http("POST", "/api/bootstrap/\(job.jobId)/key", token: job.accessToken)
        #expect(try ClaimKeyResult(json: try #require(same.json)) == key)

        let confirmed = try daemon.http(
            "POST", confirmPath, token: job.accessToken, body: #"{"sshKeyFingerprint":"\#(key.sshKeyFingerprint)"}"#)
        #expect(confirmed.status == 200, "\(confirmed.body)")
        #expect(confirmed.json?["sshKeyFingerprint"]?.stringValue == key.sshKeyFingerprint)
        #expect(!(try daemon.sealedKeyIsHeld(job.jobId)))

        let after = try daemon.http("POST", "/api/bootstrap/\(job.jobId)/key", token: job.accessToken)
        #expect(after.status == 409)
        #expect(after.errorReason == "key_already_claimed")
        let again = try daemon.http(
            "POST", confirmPath, token: job.accessToken, body: #"{"sshKeyFingerprint":"\#(key.sshKeyFingerprint)"}"#)
        #expect(again.status == 409)
        #expect(again.errorReason == "key_already_claimed")

        daemon.expectAdminStillServed()
        daemon.expectResidentAtMost(200)
    }

    @Test func timmyctlClaimsAgainAfterADroppedReplyAndConfirmsWhatItSaved() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.readyJobBoughtWithTimmyctl()
        try daemon.claimAndDropTheReply(job)

        let keyPath = daemon.folder + "/node_key"
        let claimed = try daemon.ctl("claim-key", job.jobId, "--out", keyPath)
        #expect(claimed.status == 0, "\(claimed.stderr)")
        #expect(claimed.stdout.contains("Receipt confirmed"))
        let fingerprint = try runProgram("/usr/bin/ssh-keygen", ["-l", "-f", keyPath])
        let node = try #require(try daemon.status(job).node)
        #expect(fingerprint.stdout.contains(node.sshKeyFingerprint))
        #expect(!(try daemon.sealedKeyIsHeld(job.jobId)))
        #expect(try daemon.events(job.jobId, reasonPrefix: "ssh key receipt confirmed").first?["actorUid"] == .int(Int64(getuid())))

        let again = try daemon.ctl("claim-key", job.jobId, "--out", daemon.folder + "/second_key")
        #expect(again.status == 1)
        #expect(again.stderr.contains("key_already_claimed"))
        #expect(!FileManager.default.fileExists(atPath: daemon.folder + "/second_key"))
    }

    /// The buyer as a second uid: a claim printed to nowhere (a lost reply), then
    /// `claim-key`, which gets the same key and confirms; the history names that uid.
    @Test(.enabled(if: getuid() == 0, "needs root to run a client as nobody"))
    func aBuyerAsNobodyClaimsAgainAfterALostReplyAndConfirms() throws {
        let daemon = try DaemonHarness(environment: ["TIMMY_SOCKET_GROUP": "nogroup"]).start()
        let bought = try daemon.ctlAsNobody(["new", "--json"])
        #expect(bought.status == 0, "\(bought.stderr)")
        let jobID = try #require(try JSONValue.parse(bought.stdout)["jobId"]?.stringValue)
        try daemon.simulatePayment(jobID)
        #expect(try daemon.ctlAsNobody(["watch", jobID]).status == 0)

        let tokens = try String(contentsOfFile: daemon.folder + "/nobody-home/.local/state/timmyctl/tokens", encoding: .utf8)
        let token = try #require(tokens.split(separator: "\n").first { $0.hasPrefix(jobID) }?.split(separator: " ").last)
        let lost = try daemon.ctlAsNobody(["call", "bootstrap.claimKey", #"{"jobId":"\#(jobID)","accessToken":"\#(token)"}"#])
        #expect(lost.status == 0, "\(lost.stderr)")
        let lostKey = try ClaimKeyResult(json: try JSONValue.parse(lost.stdout))

        let keyPath = daemon.folder + "/nobody-home/node_key"
        let claimed = try daemon.ctlAsNobody(["claim-key", jobID, "--out", keyPath])
        #expect(claimed.status == 0, "\(claimed.stderr)")
        #expect(try String(contentsOfFile: keyPath, encoding: .utf8) == lostKey.sshPrivateKey)
        #expect(!(try daemon.sealedKeyIsHeld(jobID)))
        let nobody = JSONValue.int(Int64(DaemonHarness.nobody))
        #expect(try daemon.events(jobID, reasonPrefix: "ssh key delivered").map { $0["actorUid"] } == [nobody, nobody])
        #expect(try daemon.events(jobID, reasonPrefix: "ssh key receipt confirmed").map { $0["actorUid"] } == [nobody])
        let again = try daemon.ctlAsNobody(["claim-key", jobID, "--out", keyPath + ".again"])
        #expect(again.status == 1)
        #expect(again.stderr.contains("[key_already_claimed]"))
    }

    /// A save that fails (here the file size limit makes the write fail with EFBIG) is
    /// not confirmed: the key stays held, and the next claim gets it.
    @Test func timmyctlDoesNotConfirmAKeyItCouldNotSave() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.readyJobBoughtWithTimmyctl()

        let keyPath = daemon.folder + "/node_key"
        let failed = try runProgram(
            "/bin/sh", ["-c", #"trap '' XFSZ; ulimit -f 0; exec "$0" "$@""#, Binaries.timmyctl, "claim-key", job.jobId, "--out", keyPath],
            environment: ["TIMMY_SOCKET": daemon.socketPath, "TIMMY_TOKEN_FILE": daemon.folder + "/tokens"])
        #expect(failed.status == 5, "\(failed.stderr)")
        #expect(failed.stderr.contains("receipt not confirmed"))
        #expect(!FileManager.default.fileExists(atPath: keyPath), "the partial file is removed, so the claim can be repeated")
        #expect(try daemon.sealedKeyIsHeld(job.jobId))
        #expect(try daemon.events(job.jobId, reasonPrefix: "ssh key receipt confirmed").isEmpty)

        let retried = try daemon.ctl("claim-key", job.jobId, "--out", keyPath)
        #expect(retried.status == 0, "\(retried.stderr)")
        let derived = try runProgram("/usr/bin/ssh-keygen", ["-y", "-f", keyPath])
        #expect(publicKeyBody(derived.stdout) == publicKeyBody(try #require(try daemon.status(job).node).sshPublicKey))
        #expect(!(try daemon.sealedKeyIsHeld(job.jobId)))
    }

    @Test func aWrongFingerprintWipesNothing() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.readyJob()
        let key = try daemon.claimKey(job)

        let otherKey = daemon.folder + "/other"
        #expect(try runProgram("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", otherKey]).status == 0)
        let otherFingerprint = try #require(
            SSHKeyFileFingerprint.of(privateKeyFile: try String(contentsOfFile: otherKey, encoding: .utf8)))
        let raw = try daemon.callError("bootstrap.confirmKey", daemon.confirmParams(job, fingerprint: otherFingerprint))
        #expect(raw.reason == "fingerprint_mismatch")
        #expect(raw.code == -32014)
        #expect(!raw.message.contains(key.sshKeyFingerprint), "the answer does not coach a guesser")

        let cli = try daemon.ctl("confirm-key", job.jobId, "--token", job.accessToken, "--key", otherKey)
        #expect(cli.status == 1)
        #expect(cli.stderr.contains("[fingerprint_mismatch]"))

        let badToken = try daemon.callError(
            "bootstrap.confirmKey",
            ConfirmKeyParams(jobId: job.jobId, accessToken: "tat_wrong", sshKeyFingerprint: key.sshKeyFingerprint).json)
        #expect(badToken.reason == "bad_token")
        let missing = try daemon.callError("bootstrap.confirmKey", daemon.credentials(job))
        #expect(missing.code == -32602)

        #expect(try daemon.sealedKeyIsHeld(job.jobId))
        #expect(try daemon.events(job.jobId, reasonPrefix: "ssh key receipt confirmed").isEmpty)
        #expect(try daemon.claimKey(job) == key, "the key is still there to claim")
    }

    @Test func confirmingBeforeAnyClaimIsRefused() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.readyJob()
        let fingerprint = try #require(try daemon.status(job).node?.sshKeyFingerprint)
        let early = try daemon.callError("bootstrap.confirmKey", daemon.confirmParams(job, fingerprint: fingerprint))
        #expect(early.reason == "key_not_claimed")
        #expect(early.code == -32015)
        #expect(try daemon.sealedKeyIsHeld(job.jobId))
        let key = try daemon.claimKey(job)
        #expect(key.sshKeyFingerprint == fingerprint)

        let unpaid = try daemon.create()
        let notReady = try daemon.callError("bootstrap.confirmKey", daemon.confirmParams(unpaid, fingerprint: fingerprint))
        #expect(notReady.reason == "wrong_state")
    }

    @Test func anUnconfirmedKeyIsWipedWhenItsWindowEnds() throws {
        let daemon = try DaemonHarness(environment: ["KEY_CONFIRM_WINDOW_SECONDS": "2"]).start()
        let job = try daemon.readyJob()
        let first = try daemon.claimKey(job)
        let claimedAt = Date()
        usleep(1_000_000)
        let second = try daemon.claimKey(job)
        #expect(second.confirmBy == first.confirmBy, "a later claim does not extend the window")
        #expect(second.sshPrivateKey == first.sshPrivateKey)
        #expect(try daemon.sealedKeyIsHeld(job.jobId), "held until the window ends")

        while try daemon.sealedKeyIsHeld(job.jobId) {
            #expect(Date().timeIntervalSince(claimedAt) < 6, "wiped within a few seconds of confirmBy")
            if Date().timeIntervalSince(claimedAt) >= 6 { break }
            usleep(100_000)
        }
        #expect(Date().timeIntervalSince(claimedAt) >= 1.5, "not wiped before confirmBy")
        let expiry = try daemon.events(job.jobId, reasonPrefix: "delivered ssh key wiped: receipt not confirmed")
        #expect(expiry.count == 1)
        #expect(expiry.first?["actorUid"] == nil, "the daemon itself wiped it")

        let refused = try daemon.callError("bootstrap.claimKey", daemon.credentials(job))
        #expect(refused.reason == "key_already_claimed")
        let late = try daemon.callError("bootstrap.confirmKey", daemon.confirmParams(job, fingerprint: first.sshKeyFingerprint))
        #expect(late.reason == "key_already_claimed")
    }

    /// Claims racing a confirmation: each claim gets the whole key or `key_already_claimed`,
    /// never a half-wiped row.
    @Test func claimsRacingAConfirmationGetTheWholeKeyOrARefusal() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.readyJob()
        let key = try daemon.claimKey(job)
        let claimLine = Array(JSONRPCRequest(method: "bootstrap.claimKey", params: daemon.credentials(job), id: .number(1)).json.serialized().utf8) + [10]
        let confirmLine = Array(
            JSONRPCRequest(method: "bootstrap.confirmKey", params: daemon.confirmParams(job, fingerprint: key.sshKeyFingerprint), id: .number(2))
                .json.serialized().utf8) + [10]
        let claimers = try (0..<30).map { _ in try daemon.client() }
        let confirmer = try daemon.client()
        for (index, client) in claimers.enumerated() {
            try client.sendRaw(claimLine)
            if index == 15 { try confirmer.sendRaw(confirmLine) }
        }
        var delivered = 0
        for client in claimers {
            guard case .response(let response) = try ServerMessage(line: try #require(try client.readLine())) else {
                throw HarnessError("expected a response")
            }
            switch response.outcome {
            case .success(let result):
                #expect(try ClaimKeyResult(json: result) == key)
                delivered += 1
            case .failure(let error):
                #expect(error.reason == "key_already_claimed")
            }
        }
        guard case .response(let confirmation) = try ServerMessage(line: try #require(try confirmer.readLine())) else {
            throw HarnessError("expected a response")
        }
        #expect((try? confirmation.outcome.get()) != nil)
        #expect(!(try daemon.sealedKeyIsHeld(job.jobId)))
        #expect(try daemon.events(job.jobId, reasonPrefix: "ssh key delivered").count == 1 + delivered)
        daemon.expectAdminStillServed()
        daemon.expectResidentAtMost(200)
    }
}
