import Foundation
import Protocol
import Testing

/// Operator events through the real daemon: each kind recorded and POSTed to a loopback
/// webhook, retried with back-off, kept across a restart, listed and followed by
/// `timmyctl events`, and refused to clients.
@Suite(.serialized)
struct OperatorAlertTests {
    /// A stub daemon whose every paid job fails, posting to `receiver` with quick retries.
    static func failingDaemon(_ receiver: WebhookReceiver?, _ extra: [String: String] = [:]) throws -> DaemonHarness {
        var environment = [
            "STUB_PROVISION_FAIL_AT": "volume_created", "STUB_PROVISION_DELAY_MS": "50", "ALERT_RETRY_BASE_MS": "300",
            "ALERT_CHECK_INTERVAL_MS": "100",
        ]
        if let receiver { environment["ALERT_WEBHOOK_URL"] = receiver.url }
        return try DaemonHarness(environment: environment.merging(extra) { _, new in new })
    }

    static func events(_ daemon: DaemonHarness, since: Int64 = 0) throws -> [JSONValue] {
        try daemon.call("admin.events", ["since": .int(since)])["events"]?.arrayValue ?? []
    }

    /// Waits until the daemon lists an event of `kind` (and `jobID`, when given).
    @discardableResult
    static func waitForEvent(_ daemon: DaemonHarness, kind: String, jobID: String? = nil, timeout: Double = 20) throws -> JSONValue {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let found = try events(daemon).first(where: {
                $0["kind"]?.stringValue == kind && (jobID == nil || $0["jobId"]?.stringValue == jobID)
            }) {
                return found
            }
            usleep(50_000)
        }
        throw HarnessError("no \(kind) event within \(timeout) s: \(try events(daemon).map { $0.serialized() })")
    }

    /// The body holds none of `secrets`, in any spelling the test knows.
    static func expectNoSecret(_ bodies: [String], _ secrets: [String]) {
        for body in bodies {
            for secret in secrets where !secret.isEmpty {
                #expect(!body.contains(secret), "a webhook body carried a secret: \(body)")
            }
        }
    }

    @Test func aProvisioningFailureIsPostedWithTheJobAndNoSecret() throws {
        let fake = try FakeCloud.startOrSkip()
        try fake.faults([["method": "POST", "path": "^/v2/droplets$", "status": 422, "count": 1]])
        let receiver = try WebhookReceiver()
        defer { receiver.close() }
        let daemon = try CloudProvisioningTests.daemon(fake, ["ALERT_WEBHOOK_URL": receiver.url, "ALERT_CHECK_INTERVAL_MS": "100"])
            .start()
        let job = try CloudProvisioningTests.paidJob(daemon)
        try daemon.waitFor(job, state: .failed)
        let delivery = try #require(try receiver.waitFor { $0.json?["kind"] == "job_failed" }.first)
        let body = try #require(delivery.json)
        #expect(body["jobId"]?.stringValue == job.jobId)
        #expect(body["source"] == "timmyd")
        #expect(body["summary"]?.stringValue?.hasPrefix("provisioning failed at phase") == true, "\(body)")
        #expect(body["at"]?.stringValue?.hasSuffix("Z") == true)
        #expect(Set(body.objectValue?.keys ?? [:].keys) == ["id", "kind", "at", "jobId", "summary", "source"])
        #expect(delivery.headers["content-type"] == "application/json")
        #expect(delivery.headers["x-timmy-event-id"] == body["id"]?.intValue.map { "\($0)" })
        let admin = try daemon.call("admin.jobs.get", ["jobId": .string(job.jobId)])
        Self.expectNoSecret(
            receiver.deliveries.map(\.body),
            [FakeCloud.doToken, FakeCloud.tailscaleKey, job.accessToken, job.invoice.paymentRequest,
             admin["preimage"]?.stringValue ?? "", admin["errorDetail"]?.stringValue ?? "", "422"])

        // Listed with its delivery.
        let listed = try Self.waitForEvent(daemon, kind: "job_failed", jobID: job.jobId)
        let deadline = Date().addingTimeInterval(5)
        var delivered = listed
        while delivered["delivery"]?["state"] != "delivered" && Date() < deadline {
            usleep(50_000)
            delivered = try Self.waitForEvent(daemon, kind: "job_failed", jobID: job.jobId)
        }
        #expect(delivered["delivery"]?["state"] == "delivered")
        #expect(delivered["delivery"]?["lastStatus"] == 200)
        #expect(delivered["delivery"]?["attempts"] == 1)
    }

    @Test func aRefusedDeliveryIsRetriedWithBackoffAndDeliveredOnce() throws {
        let receiver = try WebhookReceiver(statuses: [500, 503, 200])
        defer { receiver.close() }
        let daemon = try Self.failingDaemon(receiver).start()
        _ = try RefundTests.paidFailedJob(daemon)
        let attempts = try receiver.waitFor(3)
        #expect(Set(attempts.compactMap { $0.json?["id"]?.intValue }).count == 1, "one event, sent three times")
        // 300 ms, then 600 ms (a little slack for scheduling only downwards is not allowed).
        let gaps = zip(attempts.dropFirst(), attempts).map { $0.at.timeIntervalSince($1.at) }
        #expect(gaps[0] >= 0.29 && gaps[1] >= 0.59, "\(gaps)")
        #expect(gaps[1] > gaps[0])
        usleep(1_500_000)
        #expect(receiver.deliveries.count == 3, "nothing is sent again once accepted")
        let event = try Self.waitForEvent(daemon, kind: "job_failed")
        #expect(event["delivery"]?["state"] == "delivered")
        #expect(event["delivery"]?["attempts"] == 3)
        let printed = try daemon.ctl("events")
        #expect(printed.stdout.contains("job_failed") && printed.stdout.contains("[delivered after 3 attempts, last HTTP 200]"), "\(printed.stdout)")
    }

    @Test func anUndeliveredEventIsDeliveredAfterARestart() throws {
        let receiver = try WebhookReceiver(statuses: [500])
        defer { receiver.close() }
        let daemon = try Self.failingDaemon(receiver, ["ALERT_RETRY_BASE_MS": "1500"]).start()
        let job = try RefundTests.paidFailedJob(daemon)
        _ = try receiver.waitFor(1)
        // Killed once the refused attempt is on record (the receiver hears it a moment before).
        let deadline = Date().addingTimeInterval(10)
        while try Self.waitForEvent(daemon, kind: "job_failed")["delivery"]?["attempts"] != 1 && Date() < deadline {
            usleep(20_000)
        }
        daemon.kill()
        receiver.answer(with: [200])
        try daemon.start()
        let delivered = try receiver.waitFor(2)
        #expect(delivered.last?.json?["jobId"]?.stringValue == job.jobId)
        let event = try Self.waitForEvent(daemon, kind: "job_failed")
        #expect(event["delivery"]?["attempts"] == 2)

        // Recorded without a webhook, sent once one is configured.
        #expect(daemon.stop() == 0)
        daemon.environment["ALERT_WEBHOOK_URL"] = nil
        try daemon.start()
        let second = try RefundTests.paidFailedJob(daemon)
        try Self.waitForEvent(daemon, kind: "job_failed", jobID: second.jobId)
        #expect(daemon.stop() == 0)
        daemon.environment["ALERT_WEBHOOK_URL"] = receiver.url
        try daemon.start()
        _ = try receiver.waitFor { $0.json?["jobId"]?.stringValue == second.jobId }
    }

    @Test func aLatePaymentUnderTheRefundPolicyIsARefundNeeded() throws {
        let receiver = try WebhookReceiver()
        defer { receiver.close() }
        let daemon = try DaemonHarness(
            environment: [
                "LATE_PAYMENT_POLICY": "refund", "INVOICE_EXPIRY_SECONDS": "1", "ALERT_WEBHOOK_URL": receiver.url,
                "ALERT_CHECK_INTERVAL_MS": "100",
            ]
        ).start()
        let job = try daemon.create()
        try daemon.waitFor(job, state: .expired, timeout: 10)
        _ = try daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        try daemon.waitFor(job, state: .failed, timeout: 10)
        let body = try #require(try receiver.waitFor { $0.json?["kind"] == "refund_needed" }.first?.json)
        #expect(body["jobId"]?.stringValue == job.jobId)
        #expect(body["summary"]?.stringValue?.contains("refund") == true)
        Self.expectNoSecret(receiver.deliveries.map(\.body), [job.accessToken, job.invoice.paymentRequest])
    }

    @Test func aSilentNodeIsOneStalledEventPerSilence() throws {
        let fake = try FakeCloud.startOrSkip()
        let receiver = try WebhookReceiver()
        defer { receiver.close() }
        let daemon = try NodeSetupReportRouteTests.daemon(
            fake, ["NODE_SETUP_STALL_SECONDS": "1", "ALERT_WEBHOOK_URL": receiver.url, "ALERT_CHECK_INTERVAL_MS": "100"]
        ).start()
        let (job, token) = try NodeSetupReportRouteTests.readyNode(daemon, fake)
        let first = try #require(try receiver.waitFor { $0.json?["kind"] == "setup_stalled" }.first?.json)
        #expect(first["jobId"]?.stringValue == job.jobId)
        usleep(1_000_000)
        #expect(receiver.deliveries.filter { $0.json?["kind"] == "setup_stalled" }.count == 1, "one event per silence")
        // It speaks, then falls silent again: a new stall, a new event.
        #expect(try NodeSetupReportRouteTests.report(daemon, job.jobId, token: token, #"{"step":"images","state":"running"}"#).status == 204)
        let stalls = try receiver.waitFor(2) { $0.json?["kind"] == "setup_stalled" }
        #expect(stalls.last?.json?["summary"]?.stringValue?.contains("last step: images") == true)
        Self.expectNoSecret(receiver.deliveries.map(\.body), [token, job.accessToken, FakeCloud.doToken, FakeCloud.tailscaleKey])
    }

    @Test func orphansFoundByReconcileAreOneEventPerSet() throws {
        let fake = try FakeCloud.startOrSkip()
        let receiver = try WebhookReceiver()
        defer { receiver.close() }
        let daemon = try CloudProvisioningTests.daemon(fake, ["ALERT_WEBHOOK_URL": receiver.url, "ALERT_CHECK_INTERVAL_MS": "100"])
            .start()
        #expect(try daemon.call("admin.reconcile", [:])["orphans"] == [])
        _ = try fake.digitalOcean(
            "POST", "/v2/volumes", ["name": "timmy-deadbeef", "region": "nyc3", "size_gigabytes": 1, "tags": ["timmy-node"]])
        #expect(try daemon.ctl("reconcile").status == 0)
        #expect(try daemon.ctl("reconcile").status == 0)
        let body = try #require(try receiver.waitFor { $0.json?["kind"] == "reconcile_orphans" }.first?.json)
        #expect(body["summary"]?.stringValue?.contains("1 cloud resource") == true, "\(body)")
        #expect(body["jobId"] == nil)
        usleep(500_000)
        #expect(receiver.deliveries.filter { $0.json?["kind"] == "reconcile_orphans" }.count == 1)
        #expect(try Self.events(daemon).filter { $0["kind"] == "reconcile_orphans" }.count == 1)
    }

    @Test func aPaymentsBackendDownForTheThresholdIsOneEvent() throws {
        let receiver = try WebhookReceiver()
        defer { receiver.close() }
        let closedPort = try LNbitsServer.freePort()
        let apiKey = "lnbits-invoice-key-that-must-stay-secret"
        let daemon = try DaemonHarness(
            environment: [
                "LNBITS_URL": "http://127.0.0.1:\(closedPort)", "LNBITS_API_KEY": apiKey, "ALERT_WEBHOOK_URL": receiver.url,
                "ALERT_UPSTREAM_DOWN_SECONDS": "1", "ALERT_CHECK_INTERVAL_MS": "100",
            ]
        ).start()
        #expect(try daemon.callError("bootstrap.create", [:]).reason == "upstream_unavailable")
        let body = try #require(try receiver.waitFor { $0.json?["kind"] == "upstream_down" }.first?.json)
        #expect(body["summary"]?.stringValue?.contains("payments backend") == true)
        _ = try? daemon.callError("bootstrap.create", [:])
        usleep(800_000)
        #expect(receiver.deliveries.filter { $0.json?["kind"] == "upstream_down" }.count == 1, "one event per outage")
        Self.expectNoSecret(receiver.deliveries.map(\.body), [apiKey, "\(closedPort)"])
    }

    @Test func aCloudAPIDownForTheThresholdIsOneEvent() throws {
        let fake = try FakeCloud.startOrSkip()
        let receiver = try WebhookReceiver()
        defer { receiver.close() }
        let daemon = try CloudProvisioningTests.daemon(
            fake, ["ALERT_WEBHOOK_URL": receiver.url, "ALERT_UPSTREAM_DOWN_SECONDS": "1", "ALERT_CHECK_INTERVAL_MS": "100"]
        ).start()
        // Every call, the tear-down's too: an API that answers anything is up.
        try fake.faults([["path": "^/", "status": 503, "count": 100_000]])
        let job = try CloudProvisioningTests.paidJob(daemon)
        try daemon.waitFor(job, state: .failed)
        let body = try #require(try receiver.waitFor { $0.json?["kind"] == "upstream_down" }.first?.json)
        #expect(body["summary"]?.stringValue?.contains("cloud API") == true, "\(body)")
        #expect(body["jobId"] == nil)
        usleep(800_000)
        #expect(receiver.deliveries.filter { $0.json?["kind"] == "upstream_down" }.count == 1, "one event per outage")
        Self.expectNoSecret(receiver.deliveries.map(\.body), [FakeCloud.doToken, FakeCloud.tailscaleKey, "\(fake.port)"])
    }

    @Test func timmyctlEventsFollowPrintsANewEventAsItHappens() throws {
        let daemon = try Self.failingDaemon(nil).start()
        let early = try RefundTests.paidFailedJob(daemon)
        try Self.waitForEvent(daemon, kind: "job_failed", jobID: early.jobId)
        let listed = try daemon.ctl("events", "--json")
        #expect(listed.status == 0, "\(listed.stderr)")
        let lines = listed.stdout.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
        #expect(lines.count == 1 && lines.first?["jobId"]?.stringValue == early.jobId)
        let firstID = try #require(lines.first?["id"]?.intValue)

        let output = daemon.folder + "/events.out"
        let follow = Process()
        follow.executableURL = URL(fileURLWithPath: "/bin/sh")
        follow.arguments = [
            "-c", "exec \"$0\" events --follow --json --since \"$1\" >\"$2\" 2>&1", Binaries.timmyctl, "\(firstID)", output,
        ]
        follow.environment = ["TIMMY_SOCKET": daemon.socketPath, "PATH": "/usr/bin:/bin"]
        try follow.run()
        defer {
            // SIGKILL: the test process blocks SIGTERM, and its children inherit that.
            if follow.isRunning { kill(follow.processIdentifier, SIGKILL) }
            follow.waitUntilExit()
        }
        usleep(500_000)
        #expect(follow.isRunning)
        let job = try RefundTests.paidFailedJob(daemon)
        let deadline = Date().addingTimeInterval(10)
        var printed = ""
        while Date() < deadline {
            printed = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            if printed.contains(job.jobId) { break }
            usleep(50_000)
        }
        let events = printed.split(separator: "\n").compactMap { try? JSONValue.parse(String($0)) }
        #expect(events.map { $0["jobId"]?.stringValue } == [job.jobId], "only the new event, once: \(printed)")
        #expect(events.first?["kind"] == "job_failed")
        #expect(follow.isRunning, "follow keeps running")

        // Bad input is refused and changes nothing.
        #expect(try daemon.callError("admin.events", ["since": -1]).reason == "invalid_params")
        #expect(try daemon.callError("admin.events", ["limit": 0]).reason == "invalid_params")
        #expect(try daemon.callError("admin.events", ["follow": "yes"]).reason == "invalid_params")
        #expect(try daemon.callError("admin.events", ["kind": "x"]).reason == "invalid_params")
    }

    @Test(.enabled(if: DaemonHarness.canRunAsNobody, "needs root and setpriv to run a client as nobody"))
    func aClientIsForbidden() throws {
        let daemon = try DaemonHarness(environment: ["TIMMY_SOCKET_GROUP": "nogroup"]).start()
        let result = try daemon.ctlAsNobody(["events"])
        #expect(result.status == 1)
        #expect(result.stderr.contains("[forbidden]"), "\(result.stderr)")
        let followed = try daemon.ctlAsNobody(["events", "--follow"])
        #expect(followed.status == 1)
        #expect(followed.stderr.contains("[forbidden]"), "\(followed.stderr)")
    }
}
