import Foundation
import Protocol
import Testing

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
