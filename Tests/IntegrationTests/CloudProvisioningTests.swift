import Foundation
import Protocol
import Testing

/// Real provisioning through the daemon against the fake DigitalOcean + Tailscale
/// API: payments stubbed, everything else as in production.
@Suite(.serialized)
struct CloudProvisioningTests {
    /// A daemon provisioning on `fake`, with extra settings.
    static func daemon(_ fake: FakeCloud, _ extra: [String: String] = [:]) throws -> DaemonHarness {
        try DaemonHarness(environment: fake.daemonEnvironment.merging(extra) { _, new in new })
    }

    /// Pays for a new job with `timmyctl simulate-payment`.
    static func paidJob(_ daemon: DaemonHarness) throws -> CreateJobResult {
        let job = try daemon.create()
        let paid = try daemon.ctl("simulate-payment", job.jobId)
        #expect(paid.status == 0, "\(paid.stderr)")
        return job
    }

    /// The fake's resources of one job (by its tag, or its name for SSH keys).
    static func resources(of jobID: String, in state: JSONValue) -> (droplets: [JSONValue], volumes: [JSONValue], keys: [JSONValue]) {
        let tag = JSONValue.string("timmy-job-\(jobID)")
        let name = "timmy-" + jobID.prefix(8)
        return (
            (state["droplets"]?.arrayValue ?? []).filter { $0["tags"]?.arrayValue?.contains(tag) == true },
            (state["volumes"]?.arrayValue ?? []).filter { $0["name"]?.stringValue == name },
            (state["sshKeys"]?.arrayValue ?? []).filter { $0["name"]?.stringValue == name }
        )
    }

    /// One droplet and one volume for the job, no account key, no schema or rule violation,
    /// and every Tailscale key but the node's revoked.
    static func expectExactlyOneNode(_ jobID: String, _ fake: FakeCloud, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let state = try fake.state()
        let mine = resources(of: jobID, in: state)
        #expect(mine.droplets.count == 1, "droplets", sourceLocation: sourceLocation)
        #expect(mine.volumes.count == 1, "volumes", sourceLocation: sourceLocation)
        #expect(mine.keys.isEmpty, "the account key is deleted", sourceLocation: sourceLocation)
        #expect(state["violations"]?.arrayValue ?? [] == [], sourceLocation: sourceLocation)
        let keys = (state["tailscaleKeys"]?.arrayValue ?? []).filter { $0["description"]?.stringValue == "timmy-" + jobID.prefix(8) }
        #expect(keys.filter { $0["revoked"]?.boolValue != true }.count == 1, "one live Tailscale key", sourceLocation: sourceLocation)
        if let droplet = mine.droplets.first, let volume = mine.volumes.first {
            #expect(droplet["volume_ids"]?.arrayValue == [volume["id"]!], sourceLocation: sourceLocation)
        }
    }

    @Test func aPaidJobGetsADropletWithTheFakesAddressAndNoOperatorSecrets() throws {
        let fake = try FakeCloud.startOrSkip()
        let daemon = try Self.daemon(fake).start()
        let info = try daemon.call("daemon.info")
        #expect(info["provisioning"]?["mode"] == "real")
        let job = try Self.paidJob(daemon)
        let ready = try daemon.waitFor(job, state: .ready)
        let state = try fake.state()
        let droplet = try #require(Self.resources(of: job.jobId, in: state).droplets.first)
        let publicIP = droplet["networks"]?["v4"]?.arrayValue?.first { $0["type"] == "public" }?["ip_address"]?.stringValue
        #expect(ready.node?.ipv4 == publicIP)
        #expect(ready.node?.ipv4.hasPrefix("203.0.113.") == true)
        #expect(ready.node?.tailscaleHostname == "timmy-" + job.jobId.prefix(8))
        try Self.expectExactlyOneNode(job.jobId, fake)

        // What the node runs: the job's name, volume and one-off key, no operator secret.
        let userData = try #require(droplet["_createRequest"]?["user_data"]?.stringValue)
        let authKey = try #require(state["tailscaleKeys"]?.arrayValue?.first?["key"]?.stringValue)
        #expect(userData.contains("NODE_NAME='timmy-\(job.jobId.prefix(8))'"))
        #expect(userData.contains("VOLUME_GB='10'"))
        #expect(userData.contains("TS_AUTHKEY='\(authKey)'"))
        #expect(!userData.contains(FakeCloud.doToken))
        #expect(!userData.contains(FakeCloud.tailscaleKey))
        #expect(droplet["_createRequest"]?["tags"] == ["timmy-node", .string("timmy-job-\(job.jobId)")])
        // The sealed auth key is wiped once the droplet exists, and no secret reached the log.
        let log = daemon.log_()
        #expect(!log.contains(FakeCloud.doToken) && !log.contains(FakeCloud.tailscaleKey) && !log.contains(authKey))
        let key = try ClaimKeyResult(json: try daemon.call("bootstrap.claimKey", daemon.credentials(job)))
        #expect(key.sshPublicKey == ready.node?.sshPublicKey)
    }
}

/// Slow upstream answers, and provisioning without Tailscale.
@Suite(.serialized)
struct CloudSlowAndPlainTests {
    /// A create that times out but is carried out later anyway: the daemon keeps
    /// looking for it rather than making a second one; a slow lookup is simply retried.
    @Test func slowAnswersTimeOutAndAreRecoveredWithoutDuplicates() throws {
        let fake = try FakeCloud.startOrSkip()
        try fake.faults([
            ["method": "POST", "path": "^/v2/droplets$", "delaySeconds": 2, "count": 1],
            ["method": "GET", "path": "^/v2/droplets/", "delaySeconds": 2, "count": 1],
        ])
        let daemon = try CloudProvisioningTests.daemon(fake, ["CLOUD_HTTP_TIMEOUT_MS": "1000"]).start()
        let job = try CloudProvisioningTests.paidJob(daemon)
        _ = try daemon.waitFor(job, state: .ready, timeout: 30)
        sleep(2)  // long enough for any late create to land
        try CloudProvisioningTests.expectExactlyOneNode(job.jobId, fake)
        #expect(daemon.log_().contains("DigitalOcean did not answer in time"))
    }

    @Test func withoutATailscaleKeyTheNodeJoinsNoTailnet() throws {
        let fake = try FakeCloud.startOrSkip()
        var environment = fake.daemonEnvironment
        environment["TAILSCALE_API_KEY"] = nil
        environment["TAILSCALE_API_URL"] = nil
        let daemon = try DaemonHarness(environment: environment).start()
        #expect(try daemon.call("daemon.info")["provisioning"]?["summary"]?.stringValue?.contains("no Tailscale") == true)
        let job = try CloudProvisioningTests.paidJob(daemon)
        let ready = try daemon.waitFor(job, state: .ready)
        #expect(ready.node?.tailscaleHostname == nil)
        let state = try fake.state()
        #expect((state["tailscaleKeys"]?.arrayValue ?? []).isEmpty)
        let droplet = try #require(CloudProvisioningTests.resources(of: job.jobId, in: state).droplets.first)
        #expect(droplet["_createRequest"]?["user_data"]?.stringValue?.contains("TS_AUTHKEY=''") == true)
        #expect(state["violations"]?.arrayValue ?? [] == [])
    }
}

/// SIGKILL around every phase's upstream call, then a restart: the job still ends
/// `ready` with exactly one droplet, one volume and nothing left behind.
@Suite(.serialized)
struct CloudCrashSafetyTests {
    /// Killed right after the phase is recorded (just after its upstream call).
    @Test(arguments: ProvisionPhase.allCases)
    func killedAfterEachRecordedPhaseResumesWithoutDuplicates(_ phase: ProvisionPhase) throws {
        let fake = try FakeCloud.startOrSkip()
        let daemon = try CloudProvisioningTests.daemon(fake, ["TIMMY_FAULT_CRASH_AFTER_PHASE": phase.rawValue]).start()
        let job = try daemon.create()
        _ = try? daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        #expect(daemon.waitForExit(timeout: 20) == SIGKILL)
        daemon.environment["TIMMY_FAULT_CRASH_AFTER_PHASE"] = nil
        try daemon.start()
        _ = try daemon.waitFor(job, state: .ready)
        try CloudProvisioningTests.expectExactlyOneNode(job.jobId, fake)
    }

    /// Killed after the phase's upstream call returned but before its outcome was
    /// recorded: the restarted daemon must find what was made, not make it again.
    @Test(arguments: ProvisionPhase.allCases.dropFirst())
    func killedBeforeRecordingEachPhaseFindsWhatWasMade(_ phase: ProvisionPhase) throws {
        let fake = try FakeCloud.startOrSkip()
        let daemon = try CloudProvisioningTests.daemon(fake, ["TIMMY_FAULT_CRASH_BEFORE_RECORDING": phase.rawValue]).start()
        let job = try daemon.create()
        _ = try? daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        #expect(daemon.waitForExit(timeout: 20) == SIGKILL)
        #expect(daemon.log_().contains("fault injection: SIGKILL before recording phase \(phase.rawValue)"))
        daemon.environment["TIMMY_FAULT_CRASH_BEFORE_RECORDING"] = nil
        try daemon.start()
        _ = try daemon.waitFor(job, state: .ready)
        try CloudProvisioningTests.expectExactlyOneNode(job.jobId, fake)
        let posts = (try fake.state()["requests"]?.arrayValue ?? []).filter {
            $0["method"] == "POST" && ["/v2/droplets", "/v2/volumes", "/v2/account/keys"].contains($0["path"]?.stringValue ?? "")
        }
        #expect(posts.count == 3, "one create per resource, never a second: \(posts)")
    }

    /// The create really happens but its answer is lost (the connection drops):
    /// the daemon looks the resource up by name or tag and does not create a second.
    @Test(arguments: ["^/v2/account/keys$", "^/v2/volumes$", "^/v2/droplets$"])
    func aLostCreateAnswerIsFoundByLookingUp(_ path: String) throws {
        let fake = try FakeCloud.startOrSkip()
        try fake.faults([["method": "POST", "path": .string(path), "afterApply": true, "dropConnection": true, "count": 1]])
        let daemon = try CloudProvisioningTests.daemon(fake).start()
        let job = try CloudProvisioningTests.paidJob(daemon)
        _ = try daemon.waitFor(job, state: .ready)
        try CloudProvisioningTests.expectExactlyOneNode(job.jobId, fake)
        let creates = (try fake.state()["requests"]?.arrayValue ?? []).filter {
            $0["method"] == "POST" && $0["path"]?.stringValue?.range(of: path, options: .regularExpression) != nil
        }
        #expect(creates.count == 1, "\(creates)")
        #expect(daemon.log_().contains("create unclear; looking it up"))
    }

    /// 429 (with and without retry-after) and 500 on lookups and creates are waited out.
    @Test func rateLimitsAndServerErrorsAreRecovered() throws {
        let fake = try FakeCloud.startOrSkip()
        try fake.faults([
            ["method": "GET", "path": "^/v2/droplets/", "status": 429, "retryAfter": 1, "count": 1],
            ["method": "POST", "path": "^/v2/account/keys$", "status": 429, "count": 1],
            ["method": "POST", "path": "^/v2/volumes$", "status": 500, "count": 1],
            ["method": "GET", "path": "^/v2/volumes$", "status": 500, "count": 2],
            ["method": "POST", "path": "^/api/v2/tailnet/", "status": 429, "retryAfter": 1, "count": 1],
            ["method": "POST", "path": "^/v2/droplets$", "status": 503, "count": 1],
        ])
        let daemon = try CloudProvisioningTests.daemon(fake).start()
        let job = try CloudProvisioningTests.paidJob(daemon)
        _ = try daemon.waitFor(job, state: .ready, timeout: 30)
        try CloudProvisioningTests.expectExactlyOneNode(job.jobId, fake)
        #expect(try fake.state()["faults"]?.arrayValue?.allSatisfy { $0["count"] == 0 } ?? true)
    }
}

/// The failure path, and the operator's retry, destroy and reconcile.
@Suite(.serialized)
struct CloudFailureAndAdminTests {
    @Test func aDropletThatNeverBecomesActiveFailsTheJobAndLeavesNothing() throws {
        let fake = try FakeCloud.startOrSkip()
        try fake.configure(neverActive: true)
        let daemon = try CloudProvisioningTests.daemon(fake, ["DROPLET_ACTIVE_TIMEOUT_SECONDS": "1"]).start()
        let job = try CloudProvisioningTests.paidJob(daemon)
        let failed = try daemon.waitFor(job, state: .failed)
        #expect(failed.error?.contains("did not start in time") == true)
        let state = try fake.state()
        let mine = CloudProvisioningTests.resources(of: job.jobId, in: state)
        #expect(mine.droplets.isEmpty && mine.volumes.isEmpty && mine.keys.isEmpty)
        #expect((state["tailscaleKeys"]?.arrayValue ?? []).allSatisfy { $0["revoked"]?.boolValue == true })
        #expect(state["violations"]?.arrayValue ?? [] == [])
        // The raw upstream detail is for the admin only.
        let detail = try daemon.call("admin.jobs.get", ["jobId": .string(job.jobId)])["errorDetail"]?.stringValue
        #expect(detail?.contains("droplet_active: droplet") == true && detail?.contains("still new") == true, "\(detail ?? "")")
        let reconcile = try daemon.call("admin.reconcile", [:])
        #expect(reconcile["orphans"] == [])
    }

    /// An error retries cannot cure (a 422 on the droplet create) fails the job and
    /// deletes the key and volume made before it; the raw answer stays for the admin.
    @Test func aRefusedDropletCreateFailsTheJobAndDeletesWhatWasMade() throws {
        let fake = try FakeCloud.startOrSkip()
        try fake.faults([["method": "POST", "path": "^/v2/droplets$", "status": 422, "count": 1]])
        let daemon = try CloudProvisioningTests.daemon(fake).start()
        let job = try CloudProvisioningTests.paidJob(daemon)
        let failed = try daemon.waitFor(job, state: .failed)
        #expect(failed.error?.contains("422") == false)
        let admin = try daemon.call("admin.jobs.get", ["jobId": .string(job.jobId)])
        #expect(admin["errorDetail"]?.stringValue?.hasPrefix("droplet_created: DigitalOcean answered 422") == true)
        let state = try fake.state()
        #expect((state["droplets"]?.arrayValue ?? []).isEmpty && (state["volumes"]?.arrayValue ?? []).isEmpty)
        #expect((state["sshKeys"]?.arrayValue ?? []).isEmpty)
        #expect((state["tailscaleKeys"]?.arrayValue ?? []).allSatisfy { $0["revoked"]?.boolValue == true })
    }

    /// A tear-down DigitalOcean refuses leaves the node `ready`, says so, and can be repeated.
    @Test func aDestroyThatCannotDeleteEverythingMovesNothing() throws {
        let fake = try FakeCloud.startOrSkip()
        let daemon = try CloudProvisioningTests.daemon(fake).start()
        let job = try CloudProvisioningTests.paidJob(daemon)
        _ = try daemon.waitFor(job, state: .ready)
        try fake.faults([["method": "DELETE", "path": "^/v2/droplets/", "status": 403, "count": 1]])
        let refused = try daemon.ctl("destroy", job.jobId)
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("[teardown_incomplete]"))
        #expect(try daemon.status(job).state == .ready)
        #expect(try daemon.events(job.jobId).contains {
            $0["reason"]?.stringValue?.hasPrefix("tear-down incomplete") == true && $0["actorUid"]?.intValue == Int64(getuid())
        })
        #expect(try daemon.ctl("destroy", job.jobId).status == 0)
        #expect(try daemon.status(job).state == .destroyed)
        #expect((try fake.state()["droplets"]?.arrayValue ?? []).isEmpty)
    }

    @Test func retryDestroyAndReconcileEndToEnd() throws {
        let fake = try FakeCloud.startOrSkip()
        try fake.configure(neverActive: true)
        let daemon = try CloudProvisioningTests.daemon(fake, ["DROPLET_ACTIVE_TIMEOUT_SECONDS": "1"]).start()
        let job = try CloudProvisioningTests.paidJob(daemon)
        let failed = try daemon.waitFor(job, state: .failed)
        #expect(try daemon.ctl("destroy", job.jobId).stderr.contains("[wrong_state]"))

        try fake.configure(neverActive: false)
        let retried = try daemon.ctl("retry", job.jobId)
        #expect(retried.status == 0, "\(retried.stderr)")
        let ready = try daemon.waitFor(job, state: .ready)
        #expect(ready.node?.sshKeyFingerprint != nil && ready.node?.sshKeyFingerprint != failed.node?.sshKeyFingerprint)
        try CloudProvisioningTests.expectExactlyOneNode(job.jobId, fake)
        #expect(try daemon.ctl("retry", job.jobId).stderr.contains("[wrong_state]"))

        // Something of ours no live job owns: reported, kept, then deleted on request.
        _ = try fake.digitalOcean("POST", "/v2/volumes", ["name": "timmy-deadbeef", "region": "nyc3", "size_gigabytes": 1, "tags": ["timmy-node"]])
        let listed = try daemon.ctl("reconcile", "--json")
        let orphans = try JSONValue.parse(listed.stdout)["orphans"]?.arrayValue ?? []
        #expect(orphans.map { $0["name"] } == ["timmy-deadbeef"])
        #expect((try fake.state()["volumes"]?.arrayValue ?? []).count == 2)
        let deleted = try daemon.ctl("reconcile", "--delete")
        #expect(deleted.status == 0, "\(deleted.stderr)")
        #expect(deleted.stdout.contains("timmy-deadbeef  deleted"))
        try CloudProvisioningTests.expectExactlyOneNode(job.jobId, fake)

        let destroyed = try daemon.ctl("destroy", job.jobId)
        #expect(destroyed.status == 0, "\(destroyed.stderr)")
        #expect(try daemon.status(job).state == .destroyed)
        let state = try fake.state()
        #expect((state["droplets"]?.arrayValue ?? []).isEmpty && (state["volumes"]?.arrayValue ?? []).isEmpty)
        #expect((state["sshKeys"]?.arrayValue ?? []).isEmpty)
        #expect((state["tailscaleKeys"]?.arrayValue ?? []).allSatisfy { $0["revoked"]?.boolValue == true })
        #expect(state["violations"]?.arrayValue ?? [] == [])

        let uid = Int64(getuid())
        let events = try daemon.events(job.jobId)
        #expect(events.contains { $0["to"] == "provisioning" && $0["from"] == "failed" && $0["actorUid"]?.intValue == uid })
        #expect(events.contains { $0["to"] == "destroyed" && $0["actorUid"]?.intValue == uid })
    }

    /// Twenty jobs paid at once: twenty nodes, no duplicates, no leaks, no violations.
    @Test func twentyJobsInParallel() throws {
        let fake = try FakeCloud.startOrSkip()
        let daemon = try CloudProvisioningTests.daemon(fake).start()
        let jobs = try (0..<20).map { _ in try daemon.create() }
        let started = Date()
        let socket = daemon.socketPath
        DispatchQueue.concurrentPerform(iterations: jobs.count) { index in
            _ = try? RPCClient(socketPath: socket).call("admin.payments.simulate", ["jobId": .string(jobs[index].jobId)])
        }
        for job in jobs { _ = try daemon.waitFor(job, state: .ready, timeout: 60) }
        let seconds = Date().timeIntervalSince(started)
        let state = try fake.state()
        let droplets = state["droplets"]?.arrayValue ?? []
        let volumes = state["volumes"]?.arrayValue ?? []
        #expect(droplets.count == 20)
        #expect(volumes.count == 20)
        #expect((state["sshKeys"]?.arrayValue ?? []).isEmpty)
        #expect(Set(droplets.compactMap { $0["name"]?.stringValue }).count == 20, "no duplicates")
        #expect(state["violations"]?.arrayValue ?? [] == [])
        for job in jobs { try CloudProvisioningTests.expectExactlyOneNode(job.jobId, fake) }
        print("twentyJobsInParallel: 20 nodes ready in \(String(format: "%.2f", seconds)) s; droplets \(droplets.count), volumes \(volumes.count), account keys 0")
    }
}
