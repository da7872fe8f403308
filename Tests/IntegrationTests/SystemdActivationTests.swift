import Foundation
import Protocol
import Testing

/// timmyd under systemd's protocols, without systemd: `systemd-socket-activate` makes
/// the listening socket and hands it over (LISTEN_FDS), and a datagram socket the
/// test binds plays NOTIFY_SOCKET.
@Suite(.serialized)
struct SystemdActivationTests {
    /// The variables systemd-socket-activate passes on: only these, with -E.
    private static func socketActivated(_ daemon: DaemonHarness) -> DaemonHarness {
        let names = ["TIMMY_TEST_LOG"] + daemon.environment.keys.sorted()
        daemon.launcher = ["/usr/bin/systemd-socket-activate", "-l", daemon.socketPath] + names.flatMap { ["-E", $0] }
        return daemon
    }

    /// systemd-socket-activate makes the socket file (always mode 0644, whatever the
    /// umask; timmyd's own is 0660) and waits for the first caller before it execs
    /// timmyd in its place with the listening socket as descriptor 3.
    @Test func servesJSONRPCAndTimmyctlOnAHandedOverSocketAndLeavesItsFileAlone() throws {
        let daemon = Self.socketActivated(try DaemonHarness())
        try daemon.launch()
        // Before any caller the file can only be the launcher's: timmyd is not running yet.
        let deadline = Date().addingTimeInterval(20)
        while !FileManager.default.fileExists(atPath: daemon.socketPath) && Date() < deadline { usleep(10_000) }
        let launchersSocket = try Self.inode(daemon.socketPath)
        #expect(try Self.mode(daemon.socketPath) == 0o644)
        try daemon.waitUntilServing()
        #expect(daemon.log_().contains("listening on the socket systemd passed"), "\(daemon.log_())")

        let info = try daemon.call("daemon.info")
        // The peer credentials are read on a handed-over socket too.
        #expect(info["caller"]?["uid"]?.intValue == Int64(getuid()))
        let ctl = try daemon.ctl("info")
        #expect(ctl.status == 0, "\(ctl.stderr)")
        #expect(ctl.stdout.contains("you:           uid \(getuid())"), "\(ctl.stdout)")
        let job = try daemon.create()
        #expect(try daemon.status(job).state == .awaitingPayment)

        // Served on the launcher's socket: not replaced, mode not changed.
        #expect(try Self.inode(daemon.socketPath) == launchersSocket)
        #expect(try Self.mode(daemon.socketPath) == 0o644)
        #expect(daemon.stop() == 0, "\(daemon.log_())")
        // Not unlinked: the socket is systemd's (the unit's RemoveOnStop= decides).
        #expect(try Self.inode(daemon.socketPath) == launchersSocket)
        #expect(try Self.mode(daemon.socketPath) == 0o644)
    }

    @Test func aDaemonWithoutAHandedOverSocketStillBindsItsOwn() throws {
        // LISTEN_PID of another process: not ours, so ignored (as sd_listen_fds does).
        let daemon = try DaemonHarness(environment: ["LISTEN_PID": "1", "LISTEN_FDS": "1"]).start()
        #expect(!daemon.log_().contains("socket systemd passed"))
        #expect(try Self.mode(daemon.socketPath) == 0o660)
        #expect(daemon.stop() == 0)
        #expect(!FileManager.default.fileExists(atPath: daemon.socketPath))
    }

    @Test func notifySocketHearsReadyStatusWatchdogAndStopping() throws {
        let daemon = try DaemonHarness()
        let notify = try NotifySocket(address: daemon.folder + "/notify.sock")
        daemon.environment["NOTIFY_SOCKET"] = notify.address
        daemon.environment["WATCHDOG_USEC"] = "200000"
        try daemon.start()
        #expect(notify.waitFor("READY=1"))
        #expect(notify.lines.contains("STATUS=serving; payments stub, provisioning stub"), "\(notify.lines)")
        // Every 100 ms (half of WATCHDOG_USEC): a few within a second.
        let started = Date()
        _ = notify.waitFor("never", timeout: 1)
        let pings = notify.lines.filter { $0 == "WATCHDOG=1" }.count
        #expect(pings >= 4 && pings <= 13, "\(pings) pings in \(Date().timeIntervalSince(started)) s")
        #expect(!notify.lines.contains("STOPPING=1"))

        #expect(daemon.stop() == 0, "\(daemon.log_())")
        #expect(notify.waitFor("STOPPING=1", timeout: 5))
        #expect(notify.lines.first == "READY=1", "\(notify.lines)")
    }

    @Test func noWatchdogPingsWhenTheWatchdogIsAnotherProcesssAndAnAbstractSocketWorks() throws {
        let daemon = try DaemonHarness()
        let notify = try NotifySocket(address: "@timmyd-test-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        daemon.environment["NOTIFY_SOCKET"] = notify.address
        daemon.environment["WATCHDOG_USEC"] = "200000"
        daemon.environment["WATCHDOG_PID"] = "1"
        try daemon.start()
        #expect(notify.waitFor("READY=1"))
        _ = notify.waitFor("WATCHDOG=1", timeout: 0.6)
        #expect(!notify.lines.contains("WATCHDOG=1"), "\(notify.lines)")
        #expect(daemon.stop() == 0)
        #expect(notify.waitFor("STOPPING=1", timeout: 5))
    }

    private static func inode(_ path: String) throws -> UInt {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw HarnessError("\(path) is gone") }
        return UInt(info.st_ino)
    }

    private static func mode(_ path: String) throws -> Int {
        var info = stat()
        guard lstat(path, &info) == 0 else { throw HarnessError("\(path) is gone") }
        #expect((info.st_mode & S_IFMT) == S_IFSOCK)
        return Int(info.st_mode & 0o777)
    }
}
