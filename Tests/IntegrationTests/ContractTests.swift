import Foundation
import Protocol
import Testing

/// `rpc.discover` against a running daemon: a valid OpenRPC document (checked with
/// python3-jsonschema against open-rpc's meta-schema), whose examples fit its schemas,
/// whose result schemas fit what the daemon really answers, and which names exactly
/// the methods the daemon serves.
@Suite struct ContractTests {
    static let contractFolder = LNbitsServer.repositoryRoot.appendingPathComponent("Tests/Contract")

    @Test func discoverIsValidOpenRPCAndRealRepliesMatchItsSchemas() throws {
        let daemon = try DaemonHarness().start()
        var replies: [String: [JSONValue]] = [:]
        func record(_ method: String, _ params: JSONValue? = nil) throws -> JSONValue {
            let reply = try daemon.call(method, params)
            replies[method, default: []].append(reply)
            return reply
        }
        let document = try record("rpc.discover")
        _ = try record("daemon.info")
        _ = try record("admin.stats")
        let job = try CreateJobResult(json: try record("bootstrap.create", ["label": "contract"]))
        let other = try CreateJobResult(json: try record("bootstrap.create", [:]))
        _ = try record("bootstrap.status", daemon.credentials(job))
        _ = try record("admin.jobs.list")
        _ = try record("admin.jobs.get", ["jobId": .string(job.jobId)])
        _ = try record("admin.payments.simulate", ["jobId": .string(job.jobId)])
        try daemon.waitFor(job, state: .ready)
        _ = try record("bootstrap.status", daemon.credentials(job))
        _ = try record("bootstrap.cancel", daemon.credentials(other))
        let key = try ClaimKeyResult(json: try record("bootstrap.claimKey", daemon.credentials(job)))
        _ = try record("bootstrap.confirmKey", daemon.confirmParams(job, fingerprint: key.sshKeyFingerprint))
        _ = try record("admin.jobs.list", ["limit": 1])
        _ = try record("admin.jobs.get", ["jobId": .string(job.jobId)])
        _ = try record("admin.stats")
        _ = try record("admin.userData.render", ["tailscale": true])
        _ = try record("admin.reconcile", [:])
        _ = try record("admin.jobs.destroy", ["jobId": .string(job.jobId)])
        #expect(replies.count >= 14)

        let documentPath = daemon.folder + "/discover.json"
        let repliesPath = daemon.folder + "/replies.json"
        try document.serialized().write(toFile: documentPath, atomically: true, encoding: .utf8)
        try JSONValue.object(replies.mapValues(JSONValue.array)).serialized()
            .write(toFile: repliesPath, atomically: true, encoding: .utf8)
        let check = try runProgram(
            "/usr/bin/python3",
            [
                Self.contractFolder.appendingPathComponent("check_openrpc.py").path,
                Self.contractFolder.appendingPathComponent("openrpc-meta-schema.json").path, documentPath, repliesPath,
            ])
        #expect(check.status == 0, "\(check.stdout)\(check.stderr)")
    }

    @Test func theCheckerRefusesADocumentThatBreaksTheMetaSchemaOrAReplyThatBreaksItsSchema() throws {
        // The check above can fail: a method without params, and a reply missing a required member.
        let folder = NSTemporaryDirectory() + "/timmy-contract-\(getpid())"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        guard case .object(var document) = RPCDiscovery.document(), case .array(var methods)? = document["methods"],
            case .object(var first) = methods[0]
        else { throw HarnessError("no methods") }
        first["params"] = nil
        methods[0] = .object(first)
        document["methods"] = .array(methods)
        try JSONValue.object(document).serialized().write(toFile: folder + "/broken.json", atomically: true, encoding: .utf8)
        try RPCDiscovery.document().serialized().write(toFile: folder + "/good.json", atomically: true, encoding: .utf8)
        let reply: JSONValue = ["bootstrap.status": [["jobId": "x"]]]
        try reply.serialized()
            .write(toFile: folder + "/replies.json", atomically: true, encoding: .utf8)
        let script = Self.contractFolder.appendingPathComponent("check_openrpc.py").path
        let meta = Self.contractFolder.appendingPathComponent("openrpc-meta-schema.json").path
        let good = try runProgram("/usr/bin/python3", [script, meta, folder + "/good.json"])
        #expect(good.status == 0, "\(good.stdout)\(good.stderr)")
        let broken = try runProgram("/usr/bin/python3", [script, meta, folder + "/broken.json"])
        #expect(broken.status == 1 && broken.stdout.contains("meta-schema"), "\(broken.stdout)\(broken.stderr)")
        let badReply = try runProgram("/usr/bin/python3", [script, meta, folder + "/good.json", folder + "/replies.json"])
        #expect(badReply.status == 1 && badReply.stdout.contains("bootstrap.status reply 0"), "\(badReply.stdout)")
    }

    @Test func theDaemonServesExactlyTheDescribedMethodsAndDecodesParamsThroughThem() throws {
        let daemon = try DaemonHarness().start()
        let listed = try #require(try daemon.call("rpc.discover")["methods"]?.arrayValue).compactMap { $0["name"]?.stringValue }
        #expect(listed == RPCMethods.all.map(\.name.rawValue))
        for method in RPCMethods.all {
            // Served (not method_not_found), and the descriptor's params type refused the stray member.
            let error = try daemon.callError(method.name.rawValue, ["surelyNotAParam": 1])
            #expect(error.code == JSONRPCError.invalidParamsCode, "\(method.name.rawValue): \(error)")
            #expect(error.data?["field"] == "surelyNotAParam", "\(method.name.rawValue)")
        }
    }
}
