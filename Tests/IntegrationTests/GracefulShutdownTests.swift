import Foundation
import Protocol
import Testing

/// One service group runs the daemon's background work: a SIGTERM stops every
/// service in reverse start order and loses nothing; one failing service stops them all.
@Suite(.serialized)
struct GracefulShutdownTests {
    static let stopOrder = [
        "systemd-notify", "socket-server", "payment-watcher", "refunder", "key-retention", "alert-monitor", "provisioner",
    ]

    @Test func sigtermStopsEachServiceInReverseStartOrder() throws {
        let daemon = try DaemonHarness().start()
        #expect(daemon.stop() == 0)
        let stopped = Self.stoppedServices(daemon.log_())
        #expect(stopped == Self.stopOrder, "\(daemon.log_())")
    }

    @Test func sigtermDuringProvisioningLosesNothing() throws {
        let daemon = try DaemonHarness(environment: ["STUB_PROVISION_DELAY_MS": "1500"]).start()
        let job = try daemon.create()
        _ = try daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        // Stop it mid-way: a phase recorded, a provider call in flight.
        let deadline = Date().addingTimeInterval(15)
        var status = try daemon.status(job)
        while !(status.state == .provisioning && status.phase != nil && status.phase != "queued") && Date() < deadline {
            usleep(20_000)
            status = try daemon.status(job)
        }
        let phaseAtStop = try #require(status.phase)
        #expect(daemon.stop() == 0, "\(daemon.log_())")
        #expect(Self.stoppedServices(daemon.log_()).last == "provisioner")

        try daemon.start()
        #expect(daemon.log_().contains("resuming provisioning"))
        let ready = try daemon.waitFor(job, state: .ready, timeout: 30)
        let events = try daemon.events(job.jobId)
        for phase in ProvisionPhase.allCases.dropFirst() {
            #expect(
                events.filter { $0["phase"]?.stringValue == phase.rawValue && $0["to"] == nil }.count == 1,
                "\(phase) (stopped at \(phaseAtStop))")
        }
        #expect(events.filter { $0["to"] == "provisioning" }.count == 1)
        #expect(events.filter { $0["to"] == "ready" }.count == 1)
        let key = try ClaimKeyResult(json: try daemon.call("bootstrap.claimKey", daemon.credentials(job)))
        #expect(key.sshPublicKey == ready.node?.sshPublicKey)
    }

    @Test func aFailingServiceStopsTheDaemonWithAClearLogAndANonZeroExit() throws {
        let daemon = try DaemonHarness(environment: ["TIMMY_FAULT_SERVICE_FAILS_AFTER_MS": "700"])
        let notify = try NotifySocket(address: daemon.folder + "/notify.sock")
        daemon.environment["NOTIFY_SOCKET"] = notify.address
        try daemon.start()
        let process = try #require(daemon.process)
        let deadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        #expect(!process.isRunning)
        #expect(process.terminationReason == .exit && process.terminationStatus == 70, "\(process.terminationStatus)")
        let log = daemon.log_()
        #expect(log.contains("service fault-injection failed: fault injection: this service failed on purpose; timmyd stops"), "\(log)")
        #expect(log.contains("stopped because a service failed"))
        // The others were stopped in order, the socket removed, systemd told.
        #expect(Self.stoppedServices(log) == Self.stopOrder)
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
        #expect(notify.waitFor("STOPPING=1", timeout: 5))
    }

    /// The services named in "service stopped" log lines, in order.
    static func stoppedServices(_ log: String) -> [String] {
        log.split(separator: "\n").filter { $0.contains("service stopped") }.compactMap { line in
            guard let range = line.range(of: "service=") else { return nil }
            return String(line[range.upperBound...].prefix { $0.isLetter || $0 == "-" })
        }
    }
}
