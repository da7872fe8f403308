import Foundation
import Protocol
import Testing

@Suite(.serialized)
struct RestartTests {
    @Test func daemonKilledWhileProvisioningFinishesTheJobAfterRestart() throws {
        let daemon = try DaemonHarness(environment: ["STUB_PROVISION_DELAY_MS": "3000"]).start()
        let job = try daemon.create()
        _ = try daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        // Kill it mid-way: after at least one phase is recorded, before the last.
        let deadline = Date().addingTimeInterval(10)
        var status = try daemon.status(job)
        while !(status.phase == "volume_created" || status.phase == "tailscale_key_created") && Date() < deadline {
            usleep(20_000)
            status = try daemon.status(job)
        }
        #expect(status.state == .provisioning)
        daemon.kill()

        try daemon.start()
        let ready = try daemon.waitFor(job, state: .ready)
        #expect(ready.node?.ipv4.hasPrefix("192.0.2.") == true)
        let events = try daemon.events(job.jobId)
        for phase in ProvisionPhase.allCases.dropFirst() {
            #expect(events.filter { $0["phase"]?.stringValue == phase.rawValue && $0["to"] == nil }.count == 1, "\(phase)")
        }
        #expect(daemon.log_().contains("resuming provisioning"))
        // The key made before the crash is the one delivered.
        let key = try ClaimKeyResult(json: try daemon.call("bootstrap.claimKey", daemon.credentials(job)))
        #expect(key.sshPublicKey == ready.node?.sshPublicKey)
    }

    /// A SIGKILL right after each phase is recorded (the daemon's fault-injection
    /// knob kills it there, so no timing is involved): after a restart the job still
    /// ends `ready`, every phase recorded exactly once, and the key made before the
    /// crash is the one the node gets.
    @Test(arguments: ProvisionPhase.allCases)
    func killedRightAfterEachPhaseResumesFromIt(_ phase: ProvisionPhase) throws {
        let daemon = try DaemonHarness(environment: ["TIMMY_FAULT_CRASH_AFTER_PHASE": phase.rawValue]).start()
        let job = try daemon.create()
        _ = try? daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        #expect(daemon.waitForExit(timeout: 20) == SIGKILL)
        #expect(daemon.log_().contains("fault injection: SIGKILL after phase \(phase.rawValue)"))

        daemon.environment["TIMMY_FAULT_CRASH_AFTER_PHASE"] = nil
        try daemon.start()
        let keyBefore = try daemon.call("admin.jobs.get", ["jobId": .string(job.jobId)])["sshKeyFingerprint"]?.stringValue
        let ready = try daemon.waitFor(job, state: .ready)
        let events = try daemon.events(job.jobId)
        for recorded in ProvisionPhase.allCases.dropFirst() {
            #expect(events.filter { $0["phase"]?.stringValue == recorded.rawValue && $0["to"] == nil }.count == 1, "\(recorded)")
        }
        #expect(events.filter { $0["to"] == "provisioning" }.count == 1)
        #expect(events.filter { $0["to"] == "ready" }.count == 1)
        if let keyBefore {
            #expect(ready.node?.sshKeyFingerprint == keyBefore)
        }
        let key = try ClaimKeyResult(json: try daemon.call("bootstrap.claimKey", daemon.credentials(job)))
        #expect(key.sshPublicKey == ready.node?.sshPublicKey)
    }

    /// The claim's promise is in the database: after a restart the same key (and the
    /// same deadline) comes back until it is confirmed.
    @Test func aClaimedKeyIsTheSameAfterARestartUntilConfirmed() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.readyJob()
        let before = try daemon.claimKey(job)
        #expect(daemon.stop() == 0)
        try daemon.start()
        let after = try daemon.claimKey(job)
        #expect(after == before)
        _ = try daemon.call("bootstrap.confirmKey", daemon.confirmParams(job, fingerprint: after.sshKeyFingerprint))
        #expect(!(try daemon.sealedKeyIsHeld(job.jobId)))
        #expect(try daemon.callError("bootstrap.claimKey", daemon.credentials(job)).reason == "key_already_claimed")
    }

    /// A confirmation window that ends while the daemon is down is honoured at start.
    @Test func aWindowThatEndedWhileStoppedWipesTheKeyAtStart() throws {
        let daemon = try DaemonHarness(environment: ["KEY_CONFIRM_WINDOW_SECONDS": "1"]).start()
        let job = try daemon.readyJob()
        _ = try daemon.claimKey(job)
        daemon.kill()
        usleep(1_500_000)
        #expect(try daemon.sealedKeyIsHeld(job.jobId), "nothing wiped it while stopped")
        try daemon.start()
        let deadline = Date().addingTimeInterval(3)
        while try daemon.sealedKeyIsHeld(job.jobId), Date() < deadline { usleep(50_000) }
        #expect(!(try daemon.sealedKeyIsHeld(job.jobId)))
        #expect(try daemon.callError("bootstrap.claimKey", daemon.credentials(job)).reason == "key_already_claimed")
    }

    @Test func jobsAndTokensSurviveACleanRestart() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.create()
        #expect(daemon.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
        try daemon.start()
        #expect(try daemon.status(job).state == .awaitingPayment)
    }

    @Test func staleSocketIsReplacedButALiveOneIsNotStolen() throws {
        let daemon = try DaemonHarness().start()
        let second = try runProgram(
            Binaries.timmyd, ["--socket", daemon.socketPath, "--state-dir", daemon.folder + "/other"],
            environment: DaemonHarness.quickDefaults)
        #expect(second.status == 78)
        #expect(second.stderr.contains("another timmyd is already listening"))
        #expect((try? daemon.call("daemon.info")) != nil)

        daemon.kill()
        #expect(FileManager.default.fileExists(atPath: daemon.socketPath))
        try daemon.start()
        #expect((try? daemon.call("daemon.info")) != nil)
    }

    @Test func aPathThatIsNotASocketIsLeftAlone() throws {
        let daemon = try DaemonHarness()
        _ = FileManager.default.createFile(atPath: daemon.socketPath, contents: Data("precious".utf8))
        let result = try runProgram(
            Binaries.timmyd, ["--socket", daemon.socketPath, "--state-dir", daemon.stateDirectory],
            environment: DaemonHarness.quickDefaults)
        #expect(result.status == 78)
        #expect(result.stderr.contains("is not a socket"))
        #expect(try String(contentsOfFile: daemon.socketPath, encoding: .utf8) == "precious")
    }

    @Test func sigtermStopsCleanlyAndRemovesTheSocket() throws {
        let daemon = try DaemonHarness().start()
        #expect(daemon.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
        #expect(daemon.log_().contains("shutting down"))
    }

    /// A SIGTERM that arrives the moment the socket exists (before the first request
    /// is served) still gets the clean shutdown: the handler is in place before serving.
    @Test func sigtermAsSoonAsTheSocketAppearsStillStopsCleanly() throws {
        for _ in 0..<5 {
            let daemon = try DaemonHarness()
            try daemon.launch()
            let deadline = Date().addingTimeInterval(20)
            while !FileManager.default.fileExists(atPath: daemon.socketPath) && Date() < deadline { usleep(200) }
            #expect(daemon.stop() == 0, "\(daemon.log_())")
        }
    }
}
