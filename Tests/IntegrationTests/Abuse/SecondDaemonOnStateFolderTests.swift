import Foundation
import Protocol
import Testing

/// Finding: two daemons on one state folder both resumed provisioning and refunds
/// before either noticed the other. The second now exits at once (75, EX_TEMPFAIL),
/// before it opens the database, resumes anything or touches the socket.
@Suite(.serialized)
struct SecondDaemonOnStateFolderTests {
    @Test func aSecondDaemonExitsAtOnceAndTheFirstIsUnaffected() throws {
        let first = try DaemonHarness().start()
        let job = try first.create()

        // Same state folder; the same socket path too, which it must not take over.
        for socket in [first.socketPath, first.folder + "/second.sock"] {
            let started = Date()
            let second = try runProgram(
                Binaries.timmyd, ["--socket", socket, "--state-dir", first.stateDirectory], environment: first.environment)
            let elapsed = Date().timeIntervalSince(started)
            #expect(second.status == 75, "\(second.stderr)")
            #expect(second.stderr.contains("already running on the state folder \(first.stateDirectory)"), "\(second.stderr)")
            #expect(elapsed < 5, "took \(elapsed) s")
        }
        #expect(!FileManager.default.fileExists(atPath: first.folder + "/second.sock"))

        // The first still serves, on its own socket, with its job intact.
        #expect(try first.status(job).state == .awaitingPayment)
        first.expectAdminStillServed()

        // Once it stops, a new daemon starts on the folder and finds the job.
        #expect(first.stop() == 0)
        try first.start()
        #expect(try first.status(job).state == .awaitingPayment)
    }

    @Test func aKilledDaemonLeavesNoStaleLock() throws {
        let daemon = try DaemonHarness().start()
        daemon.kill()
        try daemon.start()
        daemon.expectAdminStillServed()
    }
}
