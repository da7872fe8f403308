import Protocol

/// `daemon.info` and `rpc.discover`: what this daemon is and what it offers.
struct DaemonInfoService: Sendable {
    let configuration: DaemonConfiguration
    let payments: PaymentBackend
    let provider: NodeProvider
    let watcher: PaymentWatcher
    let refunder: Refunder

    func info(_ params: JSONValue?, _ caller: Caller) async throws -> MethodOutcome {
        _ = try JSONFields(params, allowed: [])
        let health = watcher.backendHealth
        let plan = configuration.plan
        // Clients (and every HTTP caller) see only whether upstreams are well: upstream
        // error text and addresses can carry internal names, and are for admins alone.
        let detailed = caller.role == .admin && caller.transport == .jsonRPC
        return MethodOutcome([
            "version": .string(TimmyVersion.string),
            "payments": .object(dropping: [
                "mode": .string(payments.mode.rawValue),
                "summary": .string(detailed ? payments.summary : payments.publicSummary),
                "health": .string(health.healthy ? "ok" : "degraded"),
                "lastError": detailed ? health.lastError.map(JSONValue.string) : nil,
            ]),
            "refunds": .object(dropping: [
                "available": .bool(refunder.disabledReason == nil), "reason": refunder.disabledReason.map(JSONValue.string),
            ]),
            "latePaymentPolicy": .string(configuration.latePaymentPolicy.rawValue),
            "provisioning": [
                "mode": .string(provider.mode.rawValue),
                "summary": .string(detailed ? provider.summary : provider.publicSummary),
            ],
            "priceSats": .int(configuration.priceSats),
            "invoiceExpirySeconds": .int(configuration.invoiceExpirySeconds),
            "plan": [
                "region": .string(plan.region), "size": .string(plan.size), "image": .string(plan.image),
                "volumeSizeGb": .int(plan.volumeSizeGB),
            ],
            "nodeSetupReports": .bool(configuration.nodeSetup.reportsEnabled && provider.rendersUserData),
            "nodeSetupSteps": Self.nodeSetupSteps,
            "caller": ["uid": .int(Int64(caller.uid)), "role": .string(caller.role.rawValue)],
        ])
    }

    /// The same for every call: built once, not on every daemon.info.
    static let nodeSetupSteps = JSONValue.array(
        NodeSetupStep.allCases.map { ["step": $0.json, "number": .int(Int64($0.number)), "summary": .string($0.summary)] })

    func discover(_ params: JSONValue?, _ caller: Caller) async throws -> MethodOutcome {
        _ = try JSONFields(params, allowed: [])
        return MethodOutcome(OpenRPCDocument.make())
    }
}
