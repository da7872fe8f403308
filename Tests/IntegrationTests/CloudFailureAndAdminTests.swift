import Foundation
import Protocol
import Testing

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
        #expect(state["sshKeys"]?.arrayValue?.isEmpty ?? true)
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
        #expect(try fake.state()["droplets"]?.arrayValue?.isEmpty ?? true)
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
        #expect(state["sshKeys"]?.arrayValue?.isEmpty ?? true)
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
        #expect(state["sshKeys"]?.arrayValue?.isEmpty ?? true)
        #expect(Set(droplets.compactMap { $0["name"]?.stringValue }).count == 20, "no duplicates")
        #expect(state["violations"]?.arrayValue ?? [] == [])
        for job in jobs { try CloudProvisioningTests.expectExactlyOneNode(job.jobId, fake) }
        print("twentyJobsInParallel: 20 nodes ready in \(String(format: "%.2f", seconds)) s; droplets \(droplets.count), volumes \(volumes.count), account keys 0")
    }
}

/// The same admin actions on stub provisioning: they work, and say they are stubbed.
@Suite(.serialized)
struct StubAdminActionTests {
    @Test func retryDestroyAndReconcileOnStubs() throws {
        let daemon = try DaemonHarness(environment: ["STUB_PROVISION_FAIL_AT": "droplet_active"]).start()
        let job = try daemon.create()
        _ = try daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        _ = try daemon.waitFor(job, state: .failed)
        let retried = try daemon.call("admin.jobs.retry", ["jobId": .string(job.jobId)])
        #expect(retried["state"] == "provisioning")
        #expect(retried["error"] == nil)
        _ = try daemon.waitFor(job, state: .failed)
        #expect(try daemon.events(job.jobId).filter { $0["to"] == "failed" }.count == 2)
        #expect(try daemon.callError("admin.jobs.destroy", ["jobId": .string(job.jobId)]).reason == "wrong_state")
        #expect(try daemon.callError("admin.jobs.retry", ["jobId": "not-a-job"]).reason == "not_found")
        #expect(try daemon.callError("admin.reconcile", ["delete": "yes"]).reason == "invalid_params")

        #expect(daemon.stop() == 0)
        daemon.environment["STUB_PROVISION_FAIL_AT"] = nil
        try daemon.start()
        _ = try daemon.call("admin.jobs.retry", ["jobId": .string(job.jobId)])
        _ = try daemon.waitFor(job, state: .ready)
        let destroyed = try daemon.call("admin.jobs.destroy", ["jobId": .string(job.jobId)])
        #expect(destroyed["state"] == "destroyed")
        #expect(destroyed["keyHeld"] == false)
        let reconcile = try daemon.call("admin.reconcile", ["delete": true])
        #expect(reconcile["mode"] == "stub")
        #expect(reconcile["orphans"] == [])
    }
}
