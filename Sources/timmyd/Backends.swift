import Logging
import Protocol

/// Chooses the real or the stub backends from the configuration.
enum Backends {
    /// LNbits when `LNBITS_URL` is set (its key checked now: a rejected key is a
    /// configuration error), the stub otherwise.
    static func payments(
        _ configuration: DaemonConfiguration, database: SQLiteDatabase, http: HTTPClient, logger: Logger
    ) async throws -> PaymentBackend {
        guard let settings = configuration.lnbits else {
            return StubPaymentBackend(database: database, fault: configuration.faultStubPaymentReport)
        }
        let client = LNbitsClient(baseURL: settings.url, apiKey: settings.invoiceKey, http: http)
        let (backend, wallet, trouble) = try await LNbitsPaymentBackend.connect(client)
        if let wallet {
            logger.info("LNbits wallet ready", metadata: ["url": "\(settings.url)", "wallet": "\(wallet.name)"])
        } else {
            logger.warning(
                "LNbits is unavailable at start-up; invoices will fail until it answers",
                metadata: ["url": "\(settings.url)", "error": "\(trouble.map { "\($0)" } ?? "?")"])
        }
        return backend
    }

    /// Refunds pay from the wallet, which takes its admin key; without one they are
    /// off, and the buyer is told why. Stub payments refund to stub invoices.
    static func refunds(
        _ configuration: DaemonConfiguration, database: SQLiteDatabase, http: HTTPClient, logger: Logger
    ) async throws -> RefundAvailability {
        guard let settings = configuration.lnbits else { return .available(StubRefundPayer(database: database)) }
        guard let adminKey = settings.adminKey else {
            logger.warning("refunds are disabled: LNBITS_ADMIN_KEY is not set")
            return .disabled(reason: "the operator has not given timmyd a key that can pay (LNBITS_ADMIN_KEY)")
        }
        let client = LNbitsClient(baseURL: settings.url, apiKey: adminKey, http: http)
        let (payer, trouble) = try await LNbitsRefundPayer.connect(client)
        if let trouble {
            logger.warning("LNbits did not answer the admin key check; refunds will be tried anyway", metadata: ["error": "\(trouble)"])
        }
        return .available(payer)
    }

    /// DigitalOcean (and Tailscale when its key is set) when `DO_API_TOKEN` is set, the stub otherwise.
    static func provider(
        _ configuration: DaemonConfiguration, http: HTTPClient, cloudHealth: UpstreamHealth, vault: KeyVault,
        logger: Logger, metrics: DaemonMetrics
    ) async throws -> NodeProvider {
        if let settings = configuration.digitalOcean {
            let policy = RetryPolicy(
                maximumAttempts: Int(settings.retryAttempts), baseDelayMilliseconds: settings.retryBaseDelayMilliseconds)
            let timeout = Int(settings.httpTimeoutMilliseconds)
            // Each cloud API's calls are counted for it, and any answer (or none) tells the
            // upstream-down alert whether the cloud is reachable.
            func transport(_ api: UpstreamAPI) -> HTTPTransport {
                UpstreamHealthTransport(transport: http.metered(as: api, in: metrics), health: cloudHealth)
            }
            let tailscale = configuration.tailscale.map {
                TailscaleClient(
                    baseURL: $0.apiURL, apiKey: $0.apiKey, tailnet: $0.tailnet,
                    transport: transport(.tailscale), policy: policy.metered(as: .tailscale, in: metrics),
                    timeoutMilliseconds: timeout)
            }
            if tailscale == nil {
                logger.notice("no TAILSCALE_API_KEY: nodes will not join a tailnet")
            }
            let provider = DigitalOceanNodeProvider(
                digitalOcean: DigitalOceanClient(
                    baseURL: settings.apiURL, token: settings.token,
                    transport: transport(.digitalocean),
                    policy: policy.metered(as: .digitalocean, in: metrics), timeoutMilliseconds: timeout),
                tailscale: tailscale, tailscaleTags: configuration.tailscale?.tags ?? [],
                tailscaleKeyExpirySeconds: configuration.tailscale?.keyExpirySeconds ?? 3600, vault: vault,
                activeTimeoutMilliseconds: settings.dropletActiveTimeoutSeconds * 1000,
                pollIntervalMilliseconds: settings.dropletPollIntervalMilliseconds, sleeper: RetrySleepers.real,
                logger: logger, nodeImages: configuration.nodeImages, nodeSetup: configuration.nodeSetup)
            for trouble in try await provider.checkCredentials() {
                logger.warning("a cloud API is unavailable at start-up; provisioning will retry", metadata: ["error": "\(trouble)"])
            }
            return provider
        }
        return StubNodeProvider(
            totalDelayMilliseconds: configuration.stubProvisionDelayMilliseconds,
            failAt: configuration.stubProvisionFailAt)
    }
}
