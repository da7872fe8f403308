import Glibc
import Testing

@testable import timmyd

struct SystemdEnvironmentTests {
    @Test func aSocketAndNotificationsForThisProcessAreTaken() throws {
        let parsed = try SystemdEnvironment(
            ["LISTEN_PID": "42", "LISTEN_FDS": "1", "LISTEN_FDNAMES": "timmyd", "NOTIFY_SOCKET": "@sd", "WATCHDOG_USEC": "200000"],
            pid: 42)
        #expect(parsed == SystemdEnvironment(listenDescriptor: 3, notifySocket: "@sd", watchdogInterval: .milliseconds(200)))
    }

    @Test func aSocketMeantForAnotherProcessIsIgnored() throws {
        #expect(try SystemdEnvironment(["LISTEN_PID": "41", "LISTEN_FDS": "1"], pid: 42).listenDescriptor == nil)
        #expect(try SystemdEnvironment(["LISTEN_FDS": "1"], pid: 42).listenDescriptor == nil)
    }

    @Test func theWatchdogOfAnotherProcessIsIgnored() throws {
        #expect(try SystemdEnvironment(["WATCHDOG_USEC": "1000", "WATCHDOG_PID": "7"], pid: 42).watchdogInterval == nil)
        #expect(try SystemdEnvironment(["WATCHDOG_USEC": "1000", "WATCHDOG_PID": "42"], pid: 42).watchdogInterval != nil)
        #expect(try SystemdEnvironment(["WATCHDOG_USEC": "0"], pid: 42).watchdogInterval == nil)
    }

    @Test func amongSeveralSocketsTheOneNamedTimmydIsUsed() throws {
        let parsed = try SystemdEnvironment(
            ["LISTEN_PID": "42", "LISTEN_FDS": "2", "LISTEN_FDNAMES": "metrics:timmyd"], pid: 42)
        #expect(parsed.listenDescriptor == 4)
    }

    @Test func severalUnnamedSocketsOrABadCountAreAClearError() {
        #expect(throws: ConfigurationError.self) {
            try SystemdEnvironment(["LISTEN_PID": "42", "LISTEN_FDS": "2"], pid: 42)
        }
        #expect(throws: ConfigurationError.self) {
            try SystemdEnvironment(["LISTEN_PID": "42", "LISTEN_FDS": "x"], pid: 42)
        }
    }

    @Test func aNotificationReachesAnAbstractDatagramSocket() throws {
        let name = "@timmyd-unit-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let receiver = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(receiver) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        var bytes = Array(name.utf8)
        bytes[0] = 0
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let length = socklen_t(MemoryLayout.offset(of: \sockaddr_un.sun_path)! + bytes.count)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(receiver, $0, length) }
        }
        try #require(bound == 0)
        #expect(SystemdNotifier.sendDatagram("READY=1\nSTATUS=serving", to: name) == nil)
        var buffer = [UInt8](repeating: 0, count: 256)
        let count = recv(receiver, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        #expect(count > 0 && String(decoding: buffer[..<count], as: UTF8.self) == "READY=1\nSTATUS=serving")
        #expect(SystemdNotifier.sendDatagram("READY=1", to: "@timmyd-nobody-listens-\(getpid())") != nil)
    }
}
