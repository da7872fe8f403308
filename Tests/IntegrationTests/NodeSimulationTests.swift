import Foundation
import Protocol
import Testing

/// A node bought from the real daemon against the fake cloud: the user_data from
/// the fake's recorded droplet create runs, as root, in a simulated droplet
/// (`Tests/NodeSim`), and what it built is checked there.
@Suite(.serialized)
struct NodeSimulationTests {
    /// A paid, ready job: its droplet's exact user_data and public address, and the daemon that made it.
    struct BoughtNode {
        var userData: String
        var publicIP: String
        var job: CreateJobResult
        var daemon: DaemonHarness
        var fake: FakeCloud

        /// Runs the simulated droplet on this node's user_data; the metadata service answers its public address.
        func simulate(_ arguments: [String] = [], userData: String? = nil) throws -> NodeSimulator.Verdict {
            try NodeSimulator.run(
                userData: userData ?? self.userData, secrets: NodeSimulationTests.operatorSecrets, folder: daemon.folder,
                arguments: ["--public-ip", publicIP] + arguments)
        }
    }

    static func buyNode(_ extra: [String: String] = [:]) throws -> BoughtNode {
        let fake = try FakeCloud.startOrSkip()
        // 30 GB: above the setup's floor for the data disk (the chainstate, LND and LNbits need room).
        let daemon = try CloudProvisioningTests.daemon(fake, ["DO_VOLUME_SIZE_GB": "30"].merging(extra) { _, new in new }).start()
        let job = try CloudProvisioningTests.paidJob(daemon)
        let ready = try daemon.waitFor(job, state: .ready)
        let droplet = try #require(CloudProvisioningTests.resources(of: job.jobId, in: try fake.state()).droplets.first)
        let userData = try #require(droplet["_createRequest"]?["user_data"]?.stringValue)
        let publicIP = try #require(ready.node?.ipv4)
        return BoughtNode(userData: userData, publicIP: publicIP, job: job, daemon: daemon, fake: fake)
    }

    /// A node whose setup reports reach this daemon through nginx (the shipped site, run
    /// inside the sim's network namespace, proxying to the daemon's socket).
    static func buyReportingNode() throws -> BoughtNode {
        let port = try LNbitsServer.freePort()
        let node = try buyNode(["NODE_CALLBACK_URL": "http://127.0.0.1:\(port)"])
        guard node.userData.contains("REPORT_URL='http://127.0.0.1:\(port)/api/nodes/\(node.job.jobId)/setup'"),
            node.userData.contains("begin_step")
        else {
            try Test.cancel("skipped: this timmyd renders no setup reports into the node's script yet")
        }
        return node
    }

    /// The operator's secrets the daemon was configured with: none may reach the node.
    static let operatorSecrets = [FakeCloud.doToken, FakeCloud.tailscaleKey]

    @Test func aBoughtNodesUserDataBuildsTheNodeAndASecondRunChangesNothing() throws {
        try NodeSimulator.requireRoot()
        let node = try Self.buyNode()
        #expect(node.userData.contains("VOLUME_GB='30'"))
        let verdict = try node.simulate()
        #expect(verdict.status == 0, "\(verdict.report)")
        // The checks that matter most ran (and were not skipped).
        for check in [
            "the script exits 0", "a second run does not re-format", "fstab mounts the volume by UUID",
            "the wallet is made once", "the credentials hold the 24-word seed", "no operator secret on the node",
            "the compose file passes", "systemd-analyze verify", "no violation seen by the fake LND",
            "a second run changes no file", "lnd.conf announces the public address", "ufw denies incoming",
            "no node password, token or seed", "after a reboot LND unlocks its wallet",
        ] {
            #expect(verdict.line(check)?.hasPrefix("PASS") == true, "\(check): \(verdict.report)")
        }
    }

    /// LND refusing to make a seed, Docker Hub refusing every pull (toomanyrequests), LNbits not starting:
    /// the setup stops, says so, and never claims to be complete.
    @Test(arguments: ["lnd", "images", "lnbits"])
    func aStepThatFailsStopsTheSetup(step: String) throws {
        try NodeSimulator.requireRoot()
        let verdict = try Self.buyNode().simulate(["--fail-step", step])
        #expect(verdict.status == 0, "\(verdict.report)")
        #expect(verdict.line("with --fail-step \(step) the script exits non-zero")?.hasPrefix("PASS") == true, "\(verdict.report)")
        #expect(verdict.line("a failed setup does not claim completion")?.hasPrefix("PASS") == true, "\(verdict.report)")
    }

    /// The harness must be able to fail: a script that formats the volume on every run,
    /// and leaks an operator secret onto the node, is caught by both checks.
    @Test func theSimCatchesAReformatAndALeakedSecret() throws {
        try NodeSimulator.requireRoot()
        let node = try Self.buyNode()
        let blankTest = #"if [ -z "$fs_type" ] && [ -z "$table_type" ]; then"#
        try #require(node.userData.contains(blankTest), "the script's blank-volume test changed; update this mutation")
        let leak = "echo \(FakeCloud.doToken) >/etc/leaked-token\n"
        let broken = node.userData.replacing(blankTest, with: "if umount \"$device\" 2>/dev/null || true; then")
            .replacing("\nNODE_DIR=/opt/timmy-node\n", with: "\nNODE_DIR=/opt/timmy-node\n" + leak)
        let verdict = try node.simulate(userData: broken)
        #expect(verdict.status == 1, "\(verdict.report)")
        #expect(verdict.line("a second run does not re-format")?.hasPrefix("FAIL") == true, "\(verdict.report)")
        #expect(verdict.line("no operator secret on the node")?.hasPrefix("FAIL") == true, "\(verdict.report)")
        #expect(!verdict.report.contains(FakeCloud.doToken), "the report names the secret's file, never the secret")
    }

    @Test func aNodesSetupReportsReachTheDaemonThroughNginx() throws {
        try NodeSimulator.requireRoot()
        let node = try Self.buyReportingNode()
        let verdict = try node.simulate(["--report-socket", node.daemon.socketPath])
        #expect(verdict.status == 0, "\(verdict.report)")
        let status = try node.daemon.call("bootstrap.status", node.daemon.credentials(node.job))
        #expect(status["node"]?["setup"]?["step"] == "complete", "\(status)")
        #expect(status["node"]?["setup"]?["state"] == "done", "\(status)")
    }

    @Test func aFailedStepIsReportedToTheDaemon() throws {
        try NodeSimulator.requireRoot()
        let node = try Self.buyReportingNode()
        let verdict = try node.simulate(["--report-socket", node.daemon.socketPath, "--fail-step", "lnd"])
        #expect(verdict.status == 0, "\(verdict.report)")
        let status = try node.daemon.call("bootstrap.status", node.daemon.credentials(node.job))
        #expect(status["node"]?["setup"]?["step"] == "lnd", "\(status)")
        #expect(status["node"]?["setup"]?["state"] == "failed", "\(status)")
    }
}
