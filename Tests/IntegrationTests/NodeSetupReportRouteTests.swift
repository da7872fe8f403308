import Foundation
import Protocol
import Testing

/// A node reporting its setup to the real daemon over HTTP, with the token rendered into
/// its user_data (provisioned on the fake cloud, which records what each droplet was given).
@Suite(.serialized)
struct NodeSetupReportRouteTests {
    static let callbackURL = "http://127.0.0.1:9/front"

    /// A daemon on `fake` that gives nodes a report URL.
    static func daemon(_ fake: FakeCloud, _ extra: [String: String] = [:]) throws -> DaemonHarness {
        try CloudProvisioningTests.daemon(fake, ["NODE_CALLBACK_URL": callbackURL].merging(extra) { _, new in new })
    }

    /// The user_data the job's droplet was created with.
    static func userData(of jobID: String, _ fake: FakeCloud) throws -> String {
        let droplet = try #require(CloudProvisioningTests.resources(of: jobID, in: try fake.state()).droplets.first)
        return try #require(droplet["_createRequest"]?["user_data"]?.stringValue)
    }

    /// The value of a rendered `NAME='value'` line.
    static func rendered(_ name: String, in script: String) -> String? {
        guard let start = script.range(of: "\n\(name)='") else { return nil }
        return String(script[start.upperBound...].prefix { $0 != "'" })
    }

    /// A ready job and the node token its droplet was given.
    static func readyNode(_ daemon: DaemonHarness, _ fake: FakeCloud) throws -> (job: CreateJobResult, token: String) {
        let job = try CloudProvisioningTests.paidJob(daemon)
        try daemon.waitFor(job, state: .ready)
        let script = try userData(of: job.jobId, fake)
        #expect(rendered("REPORT_URL", in: script) == "\(callbackURL)/api/nodes/\(job.jobId)/setup")
        let token = try #require(rendered("REPORT_TOKEN", in: script))
        #expect(token.hasPrefix("tnt_") && token.count == 47)
        return (job, token)
    }

    static func report(
        _ daemon: DaemonHarness, _ jobID: String, token: String?, _ body: String, headers: [String] = []
    ) throws -> CurlResponse {
        try daemon.http("POST", "/api/nodes/\(jobID)/setup", token: token, body: body, headers: headers)
    }

    @Test func aReportWithTheNodeTokenChangesStatusAndNotifiesAWatcher() throws {
        let fake = try FakeCloud.startOrSkip()
        let daemon = try Self.daemon(fake).start()
        let info = try daemon.call("daemon.info")
        #expect(info["nodeSetupReports"] == true)
        #expect(info["nodeSetupSteps"]?.arrayValue?.count == NodeSetupStep.allCases.count)
        #expect(info["nodeSetupSteps"]?.arrayValue?[7] == ["step": "lnd", "number": 8, "summary": "starting LND and making its wallet"])

        let (job, token) = try Self.readyNode(daemon, fake)
        let ready = try daemon.status(job)
        #expect(ready.node?.setup == NodeSetupStatus(reported: true))
        #expect(ready.message.hasPrefix("Machine up"))
        #expect(!ready.isFinal)

        // A watch that reached ready keeps following.
        let watcher = try daemon.client()
        let first = try JobStatus(json: try watcher.call("bootstrap.watch", daemon.credentials(job)))
        #expect(first.state == .ready)

        let accepted = try Self.report(daemon, job.jobId, token: token, #"{"step":"lnd","state":"running","message":"waiting for bitcoind"}"#)
        #expect(accepted.status == 204, "\(accepted.body)")
        let notified = try JobStatus(json: try #require(try watcher.nextNotification()?.params))
        #expect(notified.node?.setup?.step == .lnd && notified.node?.setup?.state == .running)
        #expect(notified.node?.setup?.message == "waiting for bitcoind")
        #expect(notified.message == "Machine up — starting LND and making its wallet (step 8 of 10).")
        #expect(try daemon.status(job).node?.setup == notified.node?.setup)
        // Over HTTP too.
        let overHTTP = try daemon.http("GET", "/api/bootstrap/\(job.jobId)", token: job.accessToken)
        #expect(overHTTP.json?["node"]?["setup"]?["step"] == "lnd")
        #expect(try daemon.events(job.jobId).last?["reason"] == "node setup: lnd running: waiting for bitcoind")

        #expect(try Self.report(daemon, job.jobId, token: token, #"{"step":"complete","state":"done"}"#).status == 204)
        let done = try JobStatus(json: try #require(try watcher.nextNotification()?.params))
        #expect(done.node?.setup?.isComplete == true && done.isFinal)
        #expect(done.message == "Your node's software is running.")
        // The watch has ended: nothing more comes, and the connection closes with our side.
        watcher.shutdownWrite()
        #expect(try watcher.nextNotification() == nil)
        // The token is nowhere in the daemon's log or in the admin's view of the job.
        #expect(!daemon.log_().contains(token))
        #expect(!(try daemon.call("admin.jobs.get", ["jobId": .string(job.jobId)]).serialized().contains(token)))
    }

    @Test func refusedReportsAnswer401Or400Or409AndChangeNothing() throws {
        let fake = try FakeCloud.startOrSkip()
        let daemon = try Self.daemon(fake).start()
        let (job, token) = try Self.readyNode(daemon, fake)
        let statusBefore = try daemon.status(job)
        let eventsBefore = try daemon.events(job.jobId)
        let good = #"{"step":"docker","state":"running"}"#

        // Unknown job, wrong token, no token, the access token: one and the same 401.
        let unknownJob = try Self.report(daemon, UUID().uuidString.lowercased(), token: token, good)
        let wrongToken = try Self.report(daemon, job.jobId, token: "tnt_" + String(repeating: "A", count: 43), good)
        let noToken = try Self.report(daemon, job.jobId, token: nil, good)
        let accessToken = try Self.report(daemon, job.jobId, token: job.accessToken, good)
        let notAnID = try Self.report(daemon, "not-a-job", token: token, good)
        for refused in [unknownJob, wrongToken, noToken, accessToken, notAnID] {
            #expect(refused.status == 401)
            #expect(refused.errorReason == "bad_token")
            #expect(refused.body == unknownJob.body)
            #expect(refused.headers["www-authenticate"] == "Bearer")
        }
        // A wrong token with a bad body is still 401: the token is checked first.
        #expect(try Self.report(daemon, job.jobId, token: "tnt_x", "{").status == 401)

        let badBodies = [
            #"{"step":"kernel","state":"running"}"#, #"{"step":"lnd","state":"almost"}"#,
            #"{"step":"lnd","state":"running","message":"\#(String(repeating: "x", count: 501))"}"#,
            #"{"step":"lnd","state":"running","message":"two\nlines"}"#, #"{"step":"lnd","state":"running","message":"\u001b[31m"}"#,
            #"{"step":"lnd","state":"running","extra":true}"#, #"{"step":"lnd","#, "", "[]",
        ]
        for body in badBodies {
            let refused = try Self.report(daemon, job.jobId, token: token, body)
            #expect(refused.status == 400, "\(body): \(refused.status) \(refused.body)")
        }
        #expect(try daemon.status(job) == statusBefore)
        #expect(try daemon.events(job.jobId) == eventsBefore)
        // A GET is the wrong method.
        #expect(try daemon.http("GET", "/api/nodes/\(job.jobId)/setup", token: token).status == 405)

        // A node that was torn down reports no more: 409, nothing recorded.
        _ = try daemon.call("admin.jobs.destroy", ["jobId": .string(job.jobId)])
        let eventsDestroyed = try daemon.events(job.jobId)
        let late = try Self.report(daemon, job.jobId, token: token, good)
        #expect(late.status == 409)
        #expect(late.errorReason == "wrong_state")
        #expect(try daemon.events(job.jobId) == eventsDestroyed)
    }

    @Test func timmyctlWatchFollowsPastReadyUntilSetupCompletes() throws {
        let fake = try FakeCloud.startOrSkip()
        let daemon = try Self.daemon(fake).start()
        let (job, token) = try Self.readyNode(daemon, fake)
        // The event stream (SSE) follows on as well.
        let stream = try HTTPEventStreamTests.EventStreamReader(daemon: daemon, job: job)
        stream.waitForFirstEvent()
        let watch = Process()
        let output = daemon.folder + "/watch.out"
        watch.executableURL = URL(fileURLWithPath: "/bin/sh")
        watch.arguments = ["-c", "exec \"$0\" watch \"$1\" --token \"$2\" >\"$3\" 2>&1", Binaries.timmyctl, job.jobId, job.accessToken, output]
        watch.environment = ["TIMMY_SOCKET": daemon.socketPath, "PATH": "/usr/bin:/bin"]
        try watch.run()
        usleep(500_000)
        #expect(watch.isRunning, "watch ended at ready")
        #expect(!stream.waitForEnd(timeout: 0.1), "the event stream ended at ready")

        for step in ["packages", "docker", "lnd"] {
            #expect(try Self.report(daemon, job.jobId, token: token, #"{"step":"\#(step)","state":"running"}"#).status == 204)
        }
        #expect(try Self.report(daemon, job.jobId, token: token, #"{"step":"complete","state":"done"}"#).status == 204)
        let deadline = Date().addingTimeInterval(10)
        while watch.isRunning && Date() < deadline { usleep(20_000) }
        #expect(!watch.isRunning)
        #expect(watch.terminationStatus == 0)
        let printed = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        #expect(printed.contains("Machine up — starting LND and making its wallet (step 8 of 10)"), "\(printed)")
        #expect(printed.contains("Your node's software is running."), "\(printed)")
        #expect(stream.waitForEnd(), "the event stream did not end after setup completed")
        #expect(stream.statuses.last?["node"]?["setup"]?["step"] == "complete")
    }

    /// `timmyctl new --wait --key-out` saves the key as soon as the machine is up, then
    /// follows the node's setup to the end.
    @Test func newWaitClaimsTheKeyAtReadyThenFollowsSetup() throws {
        let fake = try FakeCloud.startOrSkip()
        let daemon = try Self.daemon(fake).start()
        let keyPath = daemon.folder + "/node_key"
        let output = daemon.folder + "/new.out"
        let new = Process()
        new.executableURL = URL(fileURLWithPath: "/bin/sh")
        new.arguments = ["-c", "exec \"$0\" new --wait --no-qr --key-out \"$1\" >\"$2\" 2>&1", Binaries.timmyctl, keyPath, output]
        new.environment = ["TIMMY_SOCKET": daemon.socketPath, "TIMMY_TOKEN_FILE": daemon.folder + "/tokens", "PATH": "/usr/bin:/bin"]
        try new.run()
        defer { if new.isRunning { new.terminate() } }
        func printed() -> String { (try? String(contentsOfFile: output, encoding: .utf8)) ?? "" }
        var deadline = Date().addingTimeInterval(10)
        while !printed().contains("job:") && Date() < deadline { usleep(20_000) }
        let jobID = try #require(printed().split(separator: "\n").first { $0.hasPrefix("job:") }?.split(separator: " ").last.map(String.init))
        #expect(try daemon.ctl("simulate-payment", jobID).status == 0)
        deadline = Date().addingTimeInterval(20)
        while !printed().contains("SSH private key written") && Date() < deadline { usleep(20_000) }
        #expect(FileManager.default.fileExists(atPath: keyPath), "the key is saved at ready: \(printed())")
        #expect(new.isRunning, "and the setup is still followed")

        let token = try #require(Self.rendered("REPORT_TOKEN", in: try Self.userData(of: jobID, fake)))
        #expect(try Self.report(daemon, jobID, token: token, #"{"step":"complete","state":"done"}"#).status == 204)
        deadline = Date().addingTimeInterval(10)
        while new.isRunning && Date() < deadline { usleep(20_000) }
        #expect(!new.isRunning && new.terminationStatus == 0, "\(printed())")
        let last = printed().split(separator: "\n").last ?? ""
        #expect(last.hasPrefix("[ready/account_key_removed] Your node's software is running."), "\(printed())")
    }

    @Test func aFailedStepEndsTheWatchWithAdviceAndExit3() throws {
        let fake = try FakeCloud.startOrSkip()
        let daemon = try Self.daemon(fake).start()
        let (job, token) = try Self.readyNode(daemon, fake)
        #expect(try Self.report(daemon, job.jobId, token: token, #"{"step":"bitcoind","state":"failed","message":"disk full"}"#).status == 204)
        let watched = try daemon.ctl("watch", job.jobId, "--token", job.accessToken)
        #expect(watched.status == 3)
        #expect(watched.stdout.contains("setup failed at starting Bitcoin Core (step 7 of 10): disk full"), "\(watched.stdout)")
        #expect(watched.stdout.contains("/var/log/timmy-node-setup.log"))
        #expect(watched.stdout.contains("bash /opt/timmy-node/setup.sh"))
        let status = try daemon.ctl("status", job.jobId, "--token", job.accessToken)
        #expect(status.stdout.contains("setup:    bitcoind failed (step 7 of 10): disk full"), "\(status.stdout)")
    }

    @Test func aSilentNodeIsListedAsStalledAndCounted() throws {
        let fake = try FakeCloud.startOrSkip()
        let daemon = try Self.daemon(fake, ["NODE_SETUP_STALL_SECONDS": "1"]).start()
        let (job, token) = try Self.readyNode(daemon, fake)
        usleep(1_300_000)
        let stalled = try daemon.ctl("jobs", "--stalled", "--json")
        #expect(stalled.status == 0, "\(stalled.stderr)")
        #expect(try JSONValue.parse(stalled.stdout)["jobs"]?.arrayValue?.map { $0["jobId"] } == [.string(job.jobId)])
        #expect(try daemon.call("admin.stats")["setupStalled"] == 1)
        let table = try daemon.ctl("jobs", "--stalled")
        #expect(table.stdout.contains(job.jobId) && table.stdout.contains("no report yet"), "\(table.stdout)")
        // It speaks again: no longer stalled, until it is silent again.
        #expect(try Self.report(daemon, job.jobId, token: token, #"{"step":"images","state":"running"}"#).status == 204)
        #expect(try daemon.call("admin.jobs.list", ["stalled": true])["jobs"]?.arrayValue?.isEmpty == true)
        #expect(try daemon.call("admin.stats")["setupStalled"] == 0)
        usleep(1_300_000)
        #expect(try daemon.call("admin.stats")["setupStalled"] == 1)
        #expect(try Self.report(daemon, job.jobId, token: token, #"{"step":"complete","state":"done"}"#).status == 204)
        usleep(1_300_000)
        #expect(try daemon.call("admin.stats")["setupStalled"] == 0, "a complete setup never stalls")
    }

    @Test func withoutACallbackURLNothingIsRenderedAndReadyEndsTheWatch() throws {
        let fake = try FakeCloud.startOrSkip()
        let daemon = try CloudProvisioningTests.daemon(fake).start()
        #expect(try daemon.call("daemon.info")["nodeSetupReports"] == false)
        let job = try CloudProvisioningTests.paidJob(daemon)
        let ready = try daemon.waitFor(job, state: .ready)
        #expect(ready.node?.setup == NodeSetupStatus(reported: false))
        #expect(ready.message == "Your node is ready.")
        #expect(ready.isFinal)
        let script = try Self.userData(of: job.jobId, fake)
        #expect((Self.rendered("REPORT_TOKEN", in: script) ?? "").isEmpty && !script.contains("tnt_"))
        #expect((Self.rendered("REPORT_URL", in: script) ?? "").isEmpty)
        #expect(try daemon.ctl("watch", job.jobId, "--token", job.accessToken).status == 0)
        // No token was made, so no report is accepted.
        #expect(try Self.report(daemon, job.jobId, token: "tnt_" + String(repeating: "A", count: 43), #"{"step":"lnd","state":"done"}"#).status == 401)
    }

    /// Killed after the droplet was created with its token but before that was recorded: the
    /// restart finds the droplet, and the token it carries is still the one timmyd accepts.
    @Test func aCrashBeforeTheDropletIsRecordedKeepsItsTokenValid() throws {
        let fake = try FakeCloud.startOrSkip()
        let daemon = try Self.daemon(fake, ["TIMMY_FAULT_CRASH_BEFORE_RECORDING": "droplet_created"]).start()
        let job = try daemon.create()
        _ = try? daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        #expect(daemon.waitForExit(timeout: 20) == SIGKILL)
        daemon.environment["TIMMY_FAULT_CRASH_BEFORE_RECORDING"] = nil
        try daemon.start()
        try daemon.waitFor(job, state: .ready)
        try CloudProvisioningTests.expectExactlyOneNode(job.jobId, fake)
        let token = try #require(Self.rendered("REPORT_TOKEN", in: try Self.userData(of: job.jobId, fake)))
        #expect(try Self.report(daemon, job.jobId, token: token, #"{"step":"packages","state":"running"}"#).status == 204)
    }

    /// Stub provisioning renders no user_data, so no node could ever report: nothing is promised.
    @Test func stubNodesDoNotReportEvenWithACallbackURL() throws {
        let daemon = try DaemonHarness(environment: ["NODE_CALLBACK_URL": Self.callbackURL]).start()
        let job = try daemon.create()
        try daemon.simulatePayment(job.jobId)
        let ready = try daemon.waitFor(job, state: .ready)
        #expect(ready.node?.setup == NodeSetupStatus(reported: false))
        #expect(ready.isFinal)
        #expect(try daemon.call("daemon.info")["nodeSetupReports"] == false)
    }

    @Test func aRetryMakesANewTokenAndTheOldOneStopsWorking() throws {
        let fake = try FakeCloud.startOrSkip()
        try fake.configure(neverActive: true)
        let daemon = try Self.daemon(fake, ["DROPLET_ACTIVE_TIMEOUT_SECONDS": "1"]).start()
        let job = try CloudProvisioningTests.paidJob(daemon)
        // The first droplet is made (with a token), never starts, and is deleted.
        let firstScript = try waitForUserData(job.jobId, fake)
        let oldToken = try #require(Self.rendered("REPORT_TOKEN", in: firstScript))
        try daemon.waitFor(job, state: .failed)
        try fake.configure(neverActive: false)
        _ = try daemon.call("admin.jobs.retry", ["jobId": .string(job.jobId)])
        try daemon.waitFor(job, state: .ready)
        let newToken = try #require(Self.rendered("REPORT_TOKEN", in: try Self.userData(of: job.jobId, fake)))
        #expect(newToken != oldToken)
        #expect(try Self.report(daemon, job.jobId, token: oldToken, #"{"step":"lnd","state":"done"}"#).status == 401)
        #expect(try Self.report(daemon, job.jobId, token: newToken, #"{"step":"lnd","state":"done"}"#).status == 204)
    }

    /// The user_data of the job's droplet as soon as the fake has one.
    private func waitForUserData(_ jobID: String, _ fake: FakeCloud) throws -> String {
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if let droplet = CloudProvisioningTests.resources(of: jobID, in: try fake.state()).droplets.first,
                let script = droplet["_createRequest"]?["user_data"]?.stringValue
            {
                return script
            }
            usleep(20_000)
        }
        throw HarnessError("no droplet for \(jobID)")
    }
}
