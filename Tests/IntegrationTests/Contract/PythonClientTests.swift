import Foundation
import Protocol
import Testing

/// contrib/clients/timmy_client.py, the stdlib Python client, against the real daemon:
/// it knows exactly the methods the daemon serves, and a local program can buy with it.
@Suite(.serialized)
struct PythonClientTests {
    static let clientFolder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("contrib/clients").path

    func python(_ arguments: [String], daemon: DaemonHarness, stdin: String? = nil) throws -> CommandResult {
        try runProgram(
            "/usr/bin/python3", arguments, environment: ["TIMMY_SOCKET": daemon.socketPath, "PYTHONPATH": Self.clientFolder],
            stdin: stdin)
    }

    @Test func theClientKnowsExactlyTheMethodsTheDaemonServes() throws {
        let daemon = try DaemonHarness().start()
        let listed = try python([Self.clientFolder + "/timmy_client.py", "methods"], daemon: daemon)
        #expect(listed.status == 0, "\(listed.stderr)")
        let known = Set(listed.stdout.split(separator: "\n").map(String.init))
        let served = Set(try #require(RPCContracts.known(socketPath: daemon.socketPath)).methodNames)
        #expect(served.subtracting(known).isEmpty, "the daemon serves methods timmy_client.py does not know: \(served.subtracting(known).sorted())")
        #expect(known.subtracting(served).isEmpty, "timmy_client.py knows methods the daemon does not serve: \(known.subtracting(served).sorted())")
        #expect(!served.isEmpty)
    }

    /// Buy, pay (the admin's stub payment: the test runs as root), and follow the watch
    /// to ready, as a local program would; the script prints the states it saw.
    @Test func aLocalProgramBuysPaysAndWatchesWithThePythonClient() throws {
        let daemon = try DaemonHarness().start()
        let program = """
            import json
            from timmy_client import TimmyClient, TimmyError
            with TimmyClient() as timmy:
                job = timmy.call("bootstrap.create", {"label": "python"})
                creds = {"jobId": job["jobId"], "accessToken": job["accessToken"]}
                try:
                    timmy.call("bootstrap.status", {"jobId": job["jobId"], "accessToken": "tat_wrong"})
                except TimmyError as error:
                    print("error", error.reason)
                with TimmyClient() as admin:
                    admin.call("admin.payments.simulate", {"jobId": job["jobId"]})
                    states = [status["state"] for status in admin.watch(**creds)]
                print("watched", " ".join(states))
                print("status", timmy.call("bootstrap.status", creds)["state"])
            """
        let result = try python(["-"], daemon: daemon, stdin: program)
        #expect(result.status == 0, "\(result.stderr)")
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "error bad_token")
        #expect(lines.contains { $0.hasPrefix("watched ") && $0.hasSuffix(" ready") })
        #expect(lines.last == "status ready")
    }
}
