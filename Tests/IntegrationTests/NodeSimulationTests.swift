import Foundation
import Protocol
import Testing

/// A node bought from the real daemon against the fake cloud: the user_data from
/// the fake's recorded droplet create runs, as root, in a simulated droplet
/// (`Tests/NodeSim`), and what it built is checked there.
@Suite(.serialized)
struct NodeSimulationTests {
    /// The exact user_data of a paid job's droplet, the daemon that rendered it and the job.
    static func boughtNodeUserData(_ extra: [String: String] = [:]) throws
        -> (userData: String, daemon: DaemonHarness, fake: FakeCloud, job: CreateJobResult)
    {
        let fake = try FakeCloud.startOrSkip()
        // 30 GB: above the setup's floor for the data disk (the chainstate, LND and LNbits need room).
        let daemon = try CloudProvisioningTests.daemon(fake, ["DO_VOLUME_SIZE_GB": "30"].merging(extra) { _, new in new }).start()
        let job = try CloudProvisioningTests.paidJob(daemon)
        _ = try daemon.waitFor(job, state: .ready)
        let droplet = try #require(CloudProvisioningTests.resources(of: job.jobId, in: try fake.state()).droplets.first)
        let userData = try #require(droplet["_createRequest"]?["user_data"]?.stringValue)
        return (userData, daemon, fake, job)
    }

    /// A node whose setup reports reach this daemon through nginx (the shipped site, run
    /// inside the sim's network namespace, proxying to the daemon's socket).
    static func reportingNode() throws -> (userData: String, daemon: DaemonHarness, fake: FakeCloud, job: CreateJobResult) {
        let port = try LNbitsServer.freePort()
        let bought = try boughtNodeUserData(["NODE_CALLBACK_URL": "http://127.0.0.1:\(port)"])
        guard bought.userData.contains("REPORT_URL='http://127.0.0.1:\(port)/api/nodes/\(bought.job.jobId)/setup'"),
            bought.userData.contains("begin_step")
        else {
            try Test.cancel("skipped: this timmyd renders no setup reports into the node's script yet")
        }
        return bought
    }

    /// The operator's secrets the daemon was configured with: none may reach the node.
    static let operatorSecrets = [FakeCloud.doToken, FakeCloud.tailscaleKey]

    @Test func aBoughtNodesUserDataBuildsTheNodeAndASecondRunChangesNothing() throws {
        try NodeSimulator.requireRoot()
        let (userData, daemon, _, _) = try Self.boughtNodeUserData()
        #expect(userData.contains("VOLUME_GB='30'"))
        let verdict = try NodeSimulator.run(userData: userData, secrets: Self.operatorSecrets, folder: daemon.folder)
        #expect(verdict.status == 0, "\(verdict.report)")
        // The checks that matter most ran (and were not skipped).
        for check in [
            "the script exits 0", "a second run does not re-format", "fstab mounts the volume by UUID",
            "the wallet is made once", "the credentials hold the 24-word seed", "no operator secret on the node",
            "the compose file passes", "systemd-analyze verify", "no violation seen by the fake LND",
            "a second run changes no file",
        ] {
            #expect(verdict.line(check)?.hasPrefix("PASS") == true, "\(check): \(verdict.report)")
        }
    }

    @Test func aNodeWhoseLNDRefusesToMakeASeedFailsItsSetup() throws {
        try NodeSimulator.requireRoot()
        let (userData, daemon, _, _) = try Self.boughtNodeUserData()
        let verdict = try NodeSimulator.run(
            userData: userData, secrets: Self.operatorSecrets, folder: daemon.folder, arguments: ["--fail-step", "lnd"])
        #expect(verdict.status == 0, "\(verdict.report)")
        #expect(verdict.line("with --fail-step lnd the script exits non-zero")?.hasPrefix("PASS") == true, "\(verdict.report)")
        #expect(verdict.line("a failed setup does not claim completion")?.hasPrefix("PASS") == true, "\(verdict.report)")
    }

    /// The harness must be able to fail: a script that formats the volume on every run,
    /// and leaks an operator secret onto the node, is caught by both checks.
    @Test func theSimCatchesAReformatAndALeakedSecret() throws {
        try NodeSimulator.requireRoot()
        let (userData, daemon, _, _) = try Self.boughtNodeUserData()
        let blankTest = #"if [ -z "$fs_type" ] && [ -z "$table_type" ]; then"#
        try #require(userData.contains(blankTest), "the script's blank-volume test changed; update this mutation")
        let leak = "echo \(FakeCloud.doToken) >/etc/leaked-token\n"
        let broken = userData.replacing(blankTest, with: "if umount \"$device\" 2>/dev/null || true; then")
            .replacing("\nNODE_DIR=/opt/timmy-node\n", with: "\nNODE_DIR=/opt/timmy-node\n" + leak)
        let verdict = try NodeSimulator.run(userData: broken, secrets: Self.operatorSecrets, folder: daemon.folder)
        #expect(verdict.status == 1, "\(verdict.report)")
        #expect(verdict.line("a second run does not re-format")?.hasPrefix("FAIL") == true, "\(verdict.report)")
        #expect(verdict.line("no operator secret on the node")?.hasPrefix("FAIL") == true, "\(verdict.report)")
        #expect(!verdict.report.contains(FakeCloud.doToken), "the report names the secret's file, never the secret")
    }

    @Test func aNodesSetupReportsReachTheDaemonThroughNginx() throws {
        try NodeSimulator.requireRoot()
        let (userData, daemon, _, job) = try Self.reportingNode()
        let verdict = try NodeSimulator.run(
            userData: userData, secrets: Self.operatorSecrets, folder: daemon.folder, arguments: ["--report-socket", daemon.socketPath])
        #expect(verdict.status == 0, "\(verdict.report)")
        let status = try daemon.call("bootstrap.status", daemon.credentials(job))
        #expect(status["node"]?["setup"]?["step"] == "complete", "\(status)")
        #expect(status["node"]?["setup"]?["state"] == "done", "\(status)")
    }

    @Test func aFailedStepIsReportedToTheDaemon() throws {
        try NodeSimulator.requireRoot()
        let (userData, daemon, _, job) = try Self.reportingNode()
        let verdict = try NodeSimulator.run(
            userData: userData, secrets: Self.operatorSecrets, folder: daemon.folder,
            arguments: ["--report-socket", daemon.socketPath, "--fail-step", "lnd"])
        #expect(verdict.status == 0, "\(verdict.report)")
        let status = try daemon.call("bootstrap.status", daemon.credentials(job))
        #expect(status["node"]?["setup"]?["step"] == "lnd", "\(status)")
        #expect(status["node"]?["setup"]?["state"] == "failed", "\(status)")
    }
}
