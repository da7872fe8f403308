import Foundation
import Protocol
import Testing

@Suite(.serialized)
struct PurchaseFlowTests {
    @Test func wholePurchaseThroughTimmyctlDeliversAKeyThatMatchesTheNode() throws {
        let daemon = try DaemonHarness().start()
        let created = try daemon.ctl("new", "--json")
        #expect(created.status == 0, "\(created.stderr)")
        let reply = try JSONValue.parse(created.stdout)
        let jobID = try #require(reply["jobId"]?.stringValue)
        #expect(reply["state"] == "awaiting_payment")
        #expect(reply["invoice"]?["amountSats"] == 50_000)

        let paid = try daemon.ctl("simulate-payment", jobID)
        #expect(paid.status == 0, "\(paid.stderr)")
        let watched = try daemon.ctl("watch", jobID)
        #expect(watched.status == 0, "\(watched.stderr)")
        #expect(watched.stdout.contains("[ready"))
        #expect(watched.stdout.contains("192.0.2."))

        let keyPath = daemon.folder + "/node_key"
        let claimed = try daemon.ctl("claim-key", jobID, "--out", keyPath)
        #expect(claimed.status == 0, "\(claimed.stderr)")
        #expect(claimed.stdout.contains("Receipt confirmed"), "claim-key confirms once the file is saved")
        let attributes = try FileManager.default.attributesOfItem(atPath: keyPath)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)

        let status = try JobStatus(json: try JSONValue.parse(try daemon.ctl("status", jobID, "--json").stdout))
        let node = try #require(status.node)
        let derived = try runProgram("/usr/bin/ssh-keygen", ["-y", "-f", keyPath])
        #expect(derived.status == 0, "\(derived.stderr)")
        #expect(publicKeyBody(derived.stdout) == publicKeyBody(node.sshPublicKey))
        #expect(status.keyClaimed)

        let again = try daemon.ctl("claim-key", jobID, "--out", daemon.folder + "/second_key")
        #expect(again.status == 1)
        #expect(again.stderr.contains("key_already_claimed"))
        #expect(!FileManager.default.fileExists(atPath: daemon.folder + "/second_key"))
    }

    @Test func newWithWaitWritesTheKeyWhenReady() throws {
        let daemon = try DaemonHarness().start()
        let keyPath = daemon.folder + "/waited_key"
        // Pay from the side, as a buyer's wallet would, while `new --wait` follows the job.
        let socketPath = daemon.socketPath
        let payer = Thread {
            for _ in 0..<200 {
                usleep(50_000)
                guard let client = try? RPCClient(socketPath: socketPath),
                    let jobs = try? client.call("admin.jobs.list", ["state": "awaiting_payment"])["jobs"]?.arrayValue,
                    let id = jobs.first?["jobId"]?.stringValue
                else { continue }
                _ = try? client.call("admin.payments.simulate", ["jobId": .string(id)])
                return
            }
        }
        payer.start()
        let result = try daemon.ctl("new", "--wait", "--key-out", keyPath)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("SSH private key written to"))
        #expect(result.stdout.contains("Receipt confirmed"))
        let jobID = try #require(try daemon.call("admin.jobs.list")["jobs"]?.arrayValue?.first?["jobId"]?.stringValue)
        #expect(!(try daemon.sealedKeyIsHeld(jobID)), "new --wait --key-out confirms receipt too")
        let derived = try runProgram("/usr/bin/ssh-keygen", ["-y", "-f", keyPath])
        #expect(derived.status == 0)
        #expect(derived.stdout.hasPrefix("ssh-ed25519 "))
    }

    @Test func wholePurchaseOverRawJSONRPC() throws {
        let daemon = try DaemonHarness().start()
        let client = try daemon.client()
        let created = try CreateJobResult(json: try client.call("bootstrap.create", ["label": "raw client"]))
        #expect(created.state == .awaitingPayment)
        #expect(created.invoice.paymentHash.count == 64)
        let credentials = daemon.credentials(created)

        // Watch on a second connection: the status now, then notifications until ready.
        let watcher = try daemon.client()
        let first = try JobStatus(json: try watcher.call("bootstrap.watch", credentials))
        #expect(first.state == .awaitingPayment)

        _ = try client.call("admin.payments.simulate", ["jobId": .string(created.jobId)])
        var seen: [JobStatus] = []
        while let notification = try watcher.nextNotification() {
            #expect(notification.method == "bootstrap.changed")
            seen.append(try JobStatus(json: try #require(notification.params)))
            if seen.last?.state.isSettled == true { break }
        }
        #expect(seen.last?.state == .ready)
        #expect(seen.contains { $0.phase == "droplet_created" })
        // After the final state the daemon sends nothing more on that watch.
        watcher.shutdownWrite()
        #expect(try watcher.nextNotification() == nil)

        let key = try ClaimKeyResult(json: try client.call("bootstrap.claimKey", credentials))
        #expect(key.sshPrivateKey.hasPrefix("-----BEGIN OPENSSH PRIVATE KEY-----"))
        let keyPath = daemon.folder + "/raw_key"
        _ = FileManager.default.createFile(atPath: keyPath, contents: Data(key.sshPrivateKey.utf8), attributes: [.posixPermissions: 0o600])
        let derived = try runProgram("/usr/bin/ssh-keygen", ["-y", "-f", keyPath])
        #expect(publicKeyBody(derived.stdout) == publicKeyBody(key.sshPublicKey))
        let fingerprint = try runProgram("/usr/bin/ssh-keygen", ["-l", "-f", keyPath])
        #expect(fingerprint.stdout.contains(key.sshKeyFingerprint))

        // The same key again until receipt is confirmed; then it is gone.
        let second = try ClaimKeyResult(json: try client.call("bootstrap.claimKey", credentials))
        #expect(second == key)
        let confirmed = try ConfirmKeyResult(
            json: try client.call("bootstrap.confirmKey", daemon.confirmParams(created, fingerprint: key.sshKeyFingerprint)))
        #expect(confirmed.sshKeyFingerprint == key.sshKeyFingerprint)
        let third = try daemon.callError("bootstrap.claimKey", credentials)
        #expect(third.reason == "key_already_claimed")
        #expect(third.data?["claimedAt"]?.stringValue != nil)
    }

    @Test func buyerSuppliedKeyMeansNoPrivateKeyIsHeld() throws {
        let daemon = try DaemonHarness().start()
        let keyPath = daemon.folder + "/buyer"
        let made = try runProgram("/usr/bin/ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "buyer", "-f", keyPath])
        #expect(made.status == 0)
        let publicKey = try String(contentsOfFile: keyPath + ".pub", encoding: .utf8)
        let job = try daemon.create(["sshPublicKey": .string(publicKey)])
        _ = try daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        let ready = try daemon.waitFor(job, state: .ready)
        #expect(publicKeyBody(ready.node?.sshPublicKey ?? "") == publicKeyBody(publicKey))
        let error = try daemon.callError("bootstrap.claimKey", daemon.credentials(job))
        #expect(error.reason == "no_key_held")

        let bad = try daemon.callError("bootstrap.create", ["sshPublicKey": "ssh-ed25519 AAAAnotbase64!"])
        #expect(bad.code == -32602)
        #expect(try daemon.call("admin.jobs.list")["jobs"]?.arrayValue?.count == 1)
    }

    @Test func cancelBeforePaymentAndNotAfter() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.create()
        let cancelled = try daemon.ctl("cancel", job.jobId, "--token", job.accessToken, "--json")
        #expect(cancelled.status == 0, "\(cancelled.stderr)")
        #expect(try daemon.status(job).state == .cancelled)
        let twice = try daemon.callError("bootstrap.cancel", daemon.credentials(job))
        #expect(twice.reason == "wrong_state")

        let paid = try daemon.create()
        _ = try daemon.call("admin.payments.simulate", ["jobId": .string(paid.jobId)])
        let late = try daemon.callError("bootstrap.cancel", daemon.credentials(paid))
        #expect(late.reason == "wrong_state")
    }

    @Test func unpaidInvoiceExpiresAndALatePaymentStillProvisions() throws {
        let daemon = try DaemonHarness(environment: ["INVOICE_EXPIRY_SECONDS": "1"]).start()
        let job = try daemon.create()
        try daemon.waitFor(job, state: .expired, timeout: 10)
        let watch = try daemon.ctl("watch", job.jobId, "--token", job.accessToken)
        #expect(watch.status == 3)

        _ = try daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        try daemon.waitFor(job, state: .ready)
        let reasons = try daemon.events(job.jobId).compactMap { $0["reason"]?.stringValue }
        #expect(reasons.contains { $0.hasPrefix("late payment confirmed") })
    }

    @Test func failedProvisioningSaysWhyAndHoldsNoKey() throws {
        let daemon = try DaemonHarness(environment: ["STUB_PROVISION_FAIL_AT": "droplet_created"]).start()
        let job = try daemon.create()
        _ = try daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        let failed = try daemon.waitFor(job, state: .failed)
        #expect(failed.error == "The node could not be built.")
        #expect(failed.node == nil)
        let claim = try daemon.callError("bootstrap.claimKey", daemon.credentials(job))
        #expect(claim.reason == "wrong_state")
        let admin = try daemon.call("admin.jobs.get", ["jobId": .string(job.jobId)])
        #expect(admin["keyHeld"] == false)
        #expect(admin["errorDetail"]?.stringValue?.contains("droplet_created") == true)
        let watch = try daemon.ctl("watch", job.jobId, "--token", job.accessToken)
        #expect(watch.status == 3)
    }

    @Test func wrongTokenAndUnknownJobChangeNothing() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.create()
        let forged = JobCredentials(jobId: job.jobId, accessToken: "A" + job.accessToken.dropFirst()).json
        for method in ["bootstrap.status", "bootstrap.watch", "bootstrap.claimKey", "bootstrap.cancel"] {
            #expect(try daemon.callError(method, forged).reason == "bad_token")
            let unknown = JobCredentials(jobId: "00000000-0000-4000-8000-000000000000", accessToken: job.accessToken)
            #expect(try daemon.callError(method, unknown.json).reason == "not_found")
        }
        #expect(try daemon.status(job).state == .awaitingPayment)
        #expect(try daemon.events(job.jobId).count == 1)

        let noToken = try daemon.ctl("status", job.jobId)
        #expect(noToken.status == 4)
    }

    @Test func timmyctlExitsUnavailableWhenTheDaemonIsDown() throws {
        let daemon = try DaemonHarness()
        let result = try daemon.ctl("info")
        #expect(result.status == 69)
        #expect(result.stderr.contains("cannot connect"))
    }
}

/// The key type and base64 body of an OpenSSH public key line, without the comment.
func publicKeyBody(_ line: String) -> String {
    line.split(separator: " ").prefix(2).joined(separator: " ")
}
