import Foundation
import Protocol
import Testing

/// A second, unprivileged uid talks to the daemon: the role comes from the
/// socket peer's real credentials, not from anything the caller says.
@Suite(.serialized, .enabled(if: getuid() == 0, "needs root to run a client as nobody"))
struct PeerRoleTests {
    static let nobody: UInt32 = 65534

    /// Runs `timmyctl` as `nobody` (see `DaemonHarness.ctlAsNobody`).
    func ctlAsNobody(_ daemon: DaemonHarness, _ arguments: [String]) throws -> CommandResult {
        try daemon.ctlAsNobody(arguments)
    }

    @Test func clientUIDIsRefusedAdminMethodsButMayBuy() throws {
        let daemon = try DaemonHarness(environment: ["TIMMY_SOCKET_GROUP": "nogroup"]).start()
        let info = try ctlAsNobody(daemon, ["info", "--json"])
        #expect(info.status == 0, "\(info.stderr)")
        let caller = try JSONValue.parse(info.stdout)["caller"]
        #expect(caller?["uid"] == .int(Int64(Self.nobody)))
        #expect(caller?["role"] == "client")

        // Every admin method by name (checked before its params), and the commands that use them.
        let everyAdminMethod = MethodName.allCases.filter { $0.requiredRole == .admin }.map { ["call", $0.rawValue] }
        for arguments in everyAdminMethod + [["jobs"], ["stats"], ["simulate-payment", "00000000-0000-4000-8000-000000000000"],
            ["render-user-data", "--volume-gb", "100", "--tailscale"],
            ["refund", "00000000-0000-4000-8000-000000000000", "lnstubrefund1sat1", "--admin"],
        ] {
            let refused = try ctlAsNobody(daemon, arguments)
            #expect(refused.status == 1, "\(arguments)")
            #expect(refused.stderr.contains("[forbidden]"), "\(arguments): \(refused.stderr)")
            #expect(refused.stdout.isEmpty, "\(arguments)")
        }

        // A client may still buy, and its token file is its own.
        let bought = try ctlAsNobody(daemon, ["new", "--json"])
        #expect(bought.status == 0, "\(bought.stderr)")
        let jobID = try #require(try JSONValue.parse(bought.stdout)["jobId"]?.stringValue)
        let status = try ctlAsNobody(daemon, ["status", jobID])
        #expect(status.status == 0, "\(status.stderr)")
        let tokenFile = daemon.folder + "/nobody-home/.local/state/timmyctl/tokens"
        let attributes = try FileManager.default.attributesOfItem(atPath: tokenFile)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect((attributes[.ownerAccountID] as? Int) == Int(Self.nobody))
        // The creator's uid is in the audit log.
        let events = try daemon.events(jobID)
        #expect(events.first?["actorUid"] == .int(Int64(Self.nobody)))
    }

    @Test func membersOfTheAdminGroupAreAdmins() throws {
        let daemon = try DaemonHarness(environment: ["TIMMY_SOCKET_GROUP": "nogroup", "TIMMY_ADMIN_GROUP": "nogroup"]).start()
        let stats = try ctlAsNobody(daemon, ["stats"])
        #expect(stats.status == 0, "\(stats.stderr)")
    }

    @Test func userOutsideTheSocketGroupCannotConnectAtAll() throws {
        let daemon = try DaemonHarness(environment: ["TIMMY_SOCKET_GROUP": "root"]).start()
        var info = stat()
        stat(daemon.socketPath, &info)
        #expect(info.st_mode & 0o777 == 0o660)
        let result = try ctlAsNobody(daemon, ["info"])
        #expect(result.status == 69)
        #expect(result.stderr.contains("Permission denied"))
    }
}
