import Protocol
import Testing

/// The method descriptors (`RPCMethods`) and the `rpc.discover` document made from them.
@Suite struct RPCContractTests {
    @Test func everyMethodNameHasExactlyOneDescriptor() {
        let described = RPCMethods.all.map(\.name)
        #expect(described.count == Set(described).count, "a method described twice")
        #expect(Set(described) == Set(MethodName.allCases))
        for name in MethodName.allCases { #expect(RPCMethods.described(name)?.name == name) }
    }

    @Test func eachMethodHasTheRoleItNeeds() {
        let admin: Set<MethodName> = [
            .jobsList, .jobsGet, .jobsRefund, .stats, .simulatePayment, .userDataRender, .jobsRetry, .jobsDestroy,
            .reconcile, .backup, .events,
        ]
        for method in RPCMethods.all {
            #expect(method.role == (admin.contains(method.name) ? .admin : .client), "\(method.name.rawValue)")
            #expect(method.name.requiredRole == method.role)
            // Admin methods say so in their name; nothing with that prefix is open to clients.
            #expect(method.name.rawValue.hasPrefix("admin.") == (method.role == .admin))
        }
    }

    @Test(arguments: RPCMethods.all.map(\.name.rawValue))
    func examplesDecodeAndRoundTrip(_ name: String) throws {
        let method = try #require(MethodName(rawValue: name).flatMap(RPCMethods.described))
        #expect(!method.examples.isEmpty, "every method shows an example")
        for example in method.examples {
            try method.checkParams(example.params)
            #expect(try method.roundTripResult(example.result) == example.result, "\(example.name)")
        }
    }

    @Test func paramsRefuseUnknownMembersForEveryMethod() {
        for method in RPCMethods.all {
            #expect(throws: JSONRPCError.self, "\(method.name.rawValue)") {
                try method.checkParams(["surelyNotAParam": 1])
            }
        }
    }

    @Test func everyMethodListsItsErrorsWithReasonsAndAdminsTheirForbidden() throws {
        for method in RPCMethods.all {
            let reasons = method.errors.map(\.reason)
            #expect(reasons.contains("invalid_params") && reasons.contains("internal"))
            #expect(reasons.contains("forbidden") == (method.role == .admin), "\(method.name.rawValue)")
            for error in method.errors {
                if let reason = ApplicationErrorReason(rawValue: error.reason) { #expect(error.code == reason.code) }
            }
        }
        let confirm = try #require(RPCMethods.described(.confirmKey))
        #expect(confirm.errors.contains { $0.reason == "fingerprint_mismatch" && $0.code == -32014 })
    }

    @Test func documentDescribesParamsInOrderWithClosedSchemasAndRoles() throws {
        let document = RPCDiscovery.document(version: "test")
        #expect(document["openrpc"] == "1.3.2")
        let methods = try #require(document["methods"]?.arrayValue)
        #expect(methods.compactMap { $0["name"]?.stringValue } == RPCMethods.all.map(\.name.rawValue))
        let confirm = try #require(methods.first { $0["name"] == "bootstrap.confirmKey" })
        #expect(confirm["x-role"] == "client")
        #expect(confirm["params"]?.arrayValue?.compactMap { $0["name"]?.stringValue } == ["jobId", "accessToken", "sshKeyFingerprint"])
        #expect(confirm["result"]?["schema"] == ["$ref": "#/components/schemas/ConfirmKeyResult"])
        #expect(methods.first { $0["name"] == "admin.stats" }?["x-role"] == "admin")
        // Enums come from the Swift types, so a new state or setup step shows up by itself.
        let schemas = try #require(document["components"]?["schemas"])
        #expect(schemas["JobState"]?["enum"]?.arrayValue?.count == JobState.allCases.count)
        #expect(schemas["NodeSetupStep"]?["enum"]?.arrayValue?.last == "complete")
        // JobStatus always carries phase, null before provisioning.
        #expect(schemas["JobStatus"]?["required"]?.arrayValue?.contains("phase") == true)
        let notifications = try #require(document["x-notifications"]?.arrayValue)
        #expect(Set(notifications.compactMap { $0["name"]?.stringValue }) == [MethodName.changedNotification, MethodName.backupChunkNotification, MethodName.eventNotification])
    }

    @Test func everyReferenceNamesAComponent() throws {
        let document = RPCDiscovery.document()
        let schemas = try #require(document["components"]?["schemas"]?.objectValue)
        var references: [String] = []
        func collect(_ value: JSONValue) {
            switch value {
            case .object(let members):
                if let ref = members["$ref"]?.stringValue { references.append(ref) }
                members.values.forEach(collect)
            case .array(let elements): elements.forEach(collect)
            default: break
            }
        }
        collect(document)
        #expect(!references.isEmpty)
        for reference in references {
            #expect(reference.hasPrefix("#/components/schemas/"))
            #expect(schemas[String(reference.dropFirst("#/components/schemas/".count))] != nil, "\(reference)")
        }
    }

    @Test func typedResultsWriteTheSameWireFormTheyRead() throws {
        // Members left out stay left out; JobStatus.phase stays an explicit null.
        let status = try JobStatus(json: RPCMethods.status.examples[0].result.json)
        #expect(status.json["phase"] == .null)
        let stats = AdminStats(jobsByState: [.ready: 2], paidJobs: 2, satsTaken: 10, provisioningCompleted: 0, setupStalled: 0, setupFailed: 0)
        #expect(stats.json["jobsByState"]?.objectValue?.count == JobState.allCases.count)
        #expect(stats.json["provisioning"] == ["completed": 0])
        #expect(try AdminStats(json: stats.json).json == stats.json)
    }
}
