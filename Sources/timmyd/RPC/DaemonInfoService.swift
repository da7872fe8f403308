import Protocol

/// `daemon.info` and `rpc.discover`: what this daemon is and what it offers.
struct DaemonInfoService: Sendable {
    let configuration: DaemonConfiguration
    let payments: PaymentBackend
    let provider: NodeProvider
    let watcher: PaymentWatcher
    let refunder: Refunder

    func info(_ params: NoParams, _ caller: Caller) async throws -> DaemonInfo {
        let health = watcher.backendHealth
        let plan = configuration.plan
        // Clients (and every HTTP caller) see only whether upstreams are well: upstream
        // error text and addresses can carry internal names, and are for admins alone.
        let detailed = caller.role == .admin && caller.transport == .jsonRPC
        return DaemonInfo(
            version: TimmyVersion.string,
            payments: .init(
                mode: payments.mode.rawValue, summary: detailed ? payments.summary : payments.publicSummary,
                health: health.healthy ? "ok" : "degraded", lastError: detailed ? health.lastError : nil),
            refunds: .init(available: refunder.disabledReason == nil, reason: refunder.disabledReason),
            latePaymentPolicy: configuration.latePaymentPolicy.rawValue,
            provisioning: .init(mode: provider.mode.rawValue, summary: detailed ? provider.summary : provider.publicSummary),
            priceSats: configuration.priceSats, invoiceExpirySeconds: configuration.invoiceExpirySeconds,
            plan: PlanInfo(region: plan.region, size: plan.size, image: plan.image, volumeSizeGb: plan.volumeSizeGB),
            nodeSetupReports: configuration.nodeSetup.reportsEnabled && provider.rendersUserData,
            caller: .init(uid: Int64(caller.uid), role: caller.role))
    }

    /// The OpenRPC document, generated from the method descriptors once: it cannot change while the daemon runs.
    func discover(_ params: NoParams, _ caller: Caller) async throws -> DiscoveryDocument { Self.document }

    private static let document = DiscoveryDocument(RPCDiscovery.document())
}
