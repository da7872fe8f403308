import Testing
@testable import Protocol

@Suite struct JobStateTests {
    /// Spelled out rather than derived, so changing a state's meaning needs a test change too.
    static let settled: [JobState: Bool] = [
        .awaitingPayment: false, .provisioning: false, .refunding: false,
        .ready: true, .failed: true, .expired: true, .cancelled: true, .refunded: true, .destroyed: true,
    ]

    @Test func everyStateIsInTheSettledTable() {
        #expect(Set(JobState.allCases) == Set(Self.settled.keys))
    }

    @Test(arguments: JobState.allCases)
    func isSettledMatchesTheTable(_ state: JobState) {
        #expect(state.isSettled == Self.settled[state])
    }

    @Test(arguments: JobState.allCases)
    func stateRoundTripsThroughJSON(_ state: JobState) throws {
        #expect(try JobState(json: state.json) == state)
    }

    @Test func wireNamesAreSnakeCase() {
        #expect(JobState.awaitingPayment.json == "awaiting_payment")
        #expect(JobState.allCases.map(\.rawValue).allSatisfy { $0 == $0.lowercased() })
    }

    @Test(arguments: ["READY", "awaitingPayment", "", "unknown", 1, nil, ["ready"]] as [JSONValue])
    func unknownStateIsInvalidParams(_ value: JSONValue) throws {
        let error = try #require(thrownError { try JobState(json: value) })
        #expect(error.code == -32602)
        #expect(error.message.contains("awaiting_payment"), "lists the states")
    }

    @Test func provisionPhasesAreOrderedAndChained() {
        let phases = ProvisionPhase.allCases
        #expect(phases.first == .queued)
        #expect(phases.last?.next == nil)
        for (phase, following) in zip(phases, phases.dropFirst()) {
            #expect(phase < following)
            #expect(phase.next == following)
        }
    }
}

@Suite struct MethodNameTests {
    @Test func onlyAdminPrefixedMethodsNeedTheAdminRole() {
        for method in MethodName.allCases {
            #expect(method.requiredRole == (method.rawValue.hasPrefix("admin.") ? .admin : .client))
        }
        #expect(MethodName.stats.requiredRole == .admin)
        #expect(MethodName.create.requiredRole == .client)
        #expect(MethodName.discover.requiredRole == .client)
    }

    @Test func adminOutranksClient() {
        #expect(CallerRole.client < .admin)
        #expect(!(CallerRole.admin < .client))
        #expect(!(CallerRole.admin < .admin))
    }
}

@Suite struct CreateJobParamsTests {
    @Test func roundTripsWithAndWithoutFields() throws {
        for params in [
            CreateJobParams(), CreateJobParams(label: "shop node"),
            CreateJobParams(label: "ünïcode", sshPublicKey: "ssh-ed25519 AAAA comment"),
        ] {
            #expect(try CreateJobParams(json: params.json) == params)
        }
        #expect(CreateJobParams().json == [:], "absent fields are left out, not written as null")
    }

    @Test func absentParamsMeanNoLabelAndNoKey() throws {
        #expect(try CreateJobParams(json: .null) == CreateJobParams())
        #expect(try CreateJobParams(json: ["label": nil]) == CreateJobParams())
    }

    @Test func labelOfTheWrongTypeIsRefused() throws {
        let error = try #require(thrownError { try CreateJobParams(json: ["label": 5]) })
        #expect(error.code == -32602)
        #expect(error.data?["field"] == "label")
    }

    @Test func misspeltFieldIsRefused() throws {
        let error = try #require(thrownError { try CreateJobParams(json: ["sshPublickey": "ssh-ed25519 AAAA"]) })
        #expect(error.data?["field"] == "sshPublickey")
    }

    @Test func positionalParamsAreRefused() {
        #expect(thrownError { try CreateJobParams(json: ["a label"]) }?.code == -32602)
    }
}

@Suite struct JobCredentialsTests {
    @Test func roundTrips() throws {
        let credentials = JobCredentials(jobId: "0f4e2a9c-1b3d-4e5f-8a7b-6c5d4e3f2a1b", accessToken: "tok_en-123")
        #expect(try JobCredentials(json: credentials.json) == credentials)
        #expect(credentials.json == ["jobId": "0f4e2a9c-1b3d-4e5f-8a7b-6c5d4e3f2a1b", "accessToken": "tok_en-123"])
    }

    @Test(arguments: ["jobId", "accessToken"])
    func eachFieldIsRequired(_ missing: String) throws {
        var members: [String: JSONValue] = ["jobId": "id", "accessToken": "token"]
        members[missing] = nil
        let error = try #require(thrownError { try JobCredentials(json: .object(members)) })
        #expect(error.code == -32602)
        #expect(error.data?["field"] == .string(missing))
        members[missing] = .null
        #expect(thrownError { try JobCredentials(json: .object(members)) }?.data?["field"] == .string(missing))
    }

    @Test func numericJobIDIsRefused() {
        #expect(thrownError { try JobCredentials(json: ["jobId": 1, "accessToken": "t"]) }?.data?["field"] == "jobId")
    }

    @Test func extraFieldIsRefused() {
        let error = thrownError { try JobCredentials(json: ["jobId": "i", "accessToken": "t", "token": "t"]) }
        #expect(error?.data?["field"] == "token")
    }

    @Test func jobReferenceRoundTripsAndNeedsItsID() throws {
        #expect(try JobReference(json: JobReference(jobId: "abc").json) == JobReference(jobId: "abc"))
        #expect(thrownError { try JobReference(json: [:]) }?.data?["field"] == "jobId")
    }
}

@Suite struct JobListParamsTests {
    @Test func defaultsWhenAbsent() throws {
        let params = try JobListParams(json: .null)
        #expect(params == JobListParams(state: nil, limit: 50, cursor: nil))
        #expect(try JobListParams(json: ["limit": nil]).limit == JobListParams.defaultLimit)
    }

    @Test func roundTrips() throws {
        for params in [
            JobListParams(), JobListParams(state: .ready, limit: 1, cursor: "c"),
            JobListParams(state: .awaitingPayment, limit: 500),
        ] {
            #expect(try JobListParams(json: params.json) == params)
        }
    }

    @Test(arguments: [1, 2, 50, 499, 500] as [Int64])
    func limitsInRangeAreAccepted(_ limit: Int64) throws {
        #expect(try JobListParams(json: ["limit": .int(limit)]).limit == limit)
    }

    @Test(arguments: [0, -1, 501, Int64.max, Int64.min] as [Int64])
    func limitsOutOfRangeAreRefused(_ limit: Int64) throws {
        let error = try #require(thrownError { try JobListParams(json: ["limit": .int(limit)]) })
        #expect(error.code == -32602)
        #expect(error.data?["field"] == "limit")
    }

    @Test func limitAsStringOrFractionIsRefused() {
        #expect(thrownError { try JobListParams(json: ["limit": "10"]) }?.data?["field"] == "limit")
        #expect(thrownError { try JobListParams(json: ["limit": .double(10.5)]) }?.data?["field"] == "limit")
    }

    @Test func stateFilterIsParsedAndCheckedAgainstTheKnownStates() throws {
        #expect(try JobListParams(json: ["state": "refunding"]).state == .refunding)
        #expect(thrownError { try JobListParams(json: ["state": "paid"]) }?.data?["field"] == "state")
    }

    @Test func unknownFieldIsRefused() {
        #expect(thrownError { try JobListParams(json: ["offset": 10]) }?.data?["field"] == "offset")
    }
}

@Suite struct ResultTypesTests {
    static let invoice = InvoiceInfo(
        paymentRequest: "lnbc500u1p...", paymentHash: String(repeating: "ab", count: 32), amountSats: 50_000,
        expiresAt: "2026-11-26T15:34:25Z")
    static let node = NodeInfo(
        ipv4: "203.0.113.7", tailscaleHostname: nil, lnbitsUrl: "https://203.0.113.7/lnbits",
        sshPublicKey: "ssh-ed25519 AAAA", sshKeyFingerprint: "SHA256:abc")

    @Test func createJobResultRoundTrips() throws {
        let result = CreateJobResult(jobId: "id", accessToken: "token", state: .awaitingPayment, invoice: Self.invoice)
        #expect(try CreateJobResult(json: result.json) == result)
    }

    @Test func jobStatusRoundTripsFullAndSparse() throws {
        let full = JobStatus(
            jobId: "id", state: .ready, phase: "account_key_removed", amountSats: 50_000,
            createdAt: "2026-11-26T14:34:25Z", updatedAt: "2026-11-26T14:40:00Z", message: "Your node is ready.",
            invoice: Self.invoice, node: Self.node, keyClaimed: true, error: nil, nextSteps: ["a", "b"])
        let sparse = JobStatus(
            jobId: "id", state: .failed, phase: nil, amountSats: 1, createdAt: "c", updatedAt: "u", message: "m",
            invoice: nil, node: nil, keyClaimed: false, error: "boom", nextSteps: nil)
        #expect(try JobStatus(json: full.json) == full)
        #expect(try JobStatus(json: sparse.json) == sparse)
        #expect(sparse.json["phase"] == .null, "phase is always present, null before provisioning")
        #expect(sparse.json["node"] == nil)
    }

    @Test func replyTypesToleratesFieldsFromANewerDaemon() throws {
        guard case .object(var members) = Self.node.json else {
            Issue.record("node json is not an object")
            return
        }
        members["ipv6"] = "2001:db8::1"
        #expect(try NodeInfo(json: .object(members)) == Self.node)
    }

    @Test func claimKeyResultRoundTrips() throws {
        let result = ClaimKeyResult(
            sshPrivateKey: "-----BEGIN…", sshPublicKey: "ssh-ed25519 AAAA", sshKeyFingerprint: "f",
            confirmBy: "2026-11-30T12:00:00Z")
        #expect(try ClaimKeyResult(json: result.json) == result)
        #expect(result.json["confirmBy"] == "2026-11-30T12:00:00Z")
    }

    @Test func confirmKeyParamsNeedAFingerprint() throws {
        let params = ConfirmKeyParams(jobId: "j", accessToken: "t", sshKeyFingerprint: "SHA256:abc")
        #expect(try ConfirmKeyParams(json: params.json) == params)
        #expect(thrownError { try ConfirmKeyParams(json: ["jobId": "j", "accessToken": "t"]) }?.data?["field"] == "sshKeyFingerprint")
        #expect(thrownError { try ConfirmKeyParams(json: ["jobId": "j", "accessToken": "t", "sshKeyFingerprint": ""]) } != nil)
        let long = JSONValue.string(String(repeating: "a", count: 201))
        #expect(thrownError { try ConfirmKeyParams(json: ["jobId": "j", "accessToken": "t", "sshKeyFingerprint": long]) } != nil)
        let result = ConfirmKeyResult(jobId: "j", sshKeyFingerprint: "SHA256:abc", wipedAt: "2026-11-30T12:00:00Z")
        #expect(try ConfirmKeyResult(json: result.json) == result)
    }

    @Test func invoiceMissingItsAmountIsRefused() {
        #expect(thrownError { try InvoiceInfo(json: ["paymentRequest": "x", "paymentHash": "y", "expiresAt": "z"]) } != nil)
    }
}

@Suite struct ReconcileParamsTests {
    @Test func deleteDefaultsToFalseAndRoundTrips() throws {
        #expect(try ReconcileParams(json: [:]).delete == false)
        let params = try ReconcileParams(json: ["delete": true])
        #expect(params.delete)
        #expect(try ReconcileParams(json: params.json) == params)
    }

    @Test(arguments: [["delete": "yes"], ["delete": 1], ["dryRun": true]] as [JSONValue])
    func badParamsAreRefused(_ json: JSONValue) {
        #expect(throws: JSONRPCError.self) { try ReconcileParams(json: json) }
    }

    @Test func theCloudAdminMethodsNeedTheAdminRole() {
        for method in [MethodName.jobsRetry, .jobsDestroy, .reconcile] {
            #expect(method.requiredRole == .admin)
        }
    }
}
