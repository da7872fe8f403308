import Logging
import NIOCore
import NIOPosix
import Protocol
import ServiceLifecycle

#if canImport(Glibc)
import Glibc
#endif

/// The running daemon: the store, the backends, the background services and the
/// socket, started in an order that loses nothing and stopped in reverse.
///
/// `start` prepares everything and starts listening, then one `ServiceGroup` runs the
/// long-running work (see `DaemonServices`). A stop (`stop()`, or SIGTERM through
/// `TimmyDaemon`) shuts the group down in reverse order of start: systemd hears
/// STOPPING=1, the socket stops accepting, the payment watcher, refunder and key
/// retention stop between rounds, the provisioner halts each job at its last recorded
/// phase; then the event loops (closing connections whose replies are written) and the
/// blocking-work threads; the store closes last, when the daemon is released.
final class Daemon: Sendable {
    private let services: ServiceGroup
    /// The group's run, then the release of the event loops and threads; its error is
    /// the failure that ended the daemon.
    private let running: Task<Void, Error>
    /// Held until the daemon is released: no second daemon can start on the state folder meanwhile.
    private let stateFolderLock: StateFolderLock
    /// The store outlives every service that uses it.
    private let store: JobStore
    /// The names of the services, in start order (for tests and logs).
    let serviceNames: [String]

    private init(
        services: ServiceGroup, running: Task<Void, Error>, stateFolderLock: StateFolderLock, store: JobStore,
        serviceNames: [String]
    ) {
        self.services = services
        self.running = running
        self.stateFolderLock = stateFolderLock
        self.store = store
        self.serviceNames = serviceNames
    }

    /// Starts the daemon; it serves until `stop()` or until a service fails
    /// (`waitUntilStopped()` then throws). `systemd` is what systemd handed over
    /// (`SystemdEnvironment.takeFromProcess()`); in-process users leave it out.
    static func start(
        configuration: DaemonConfiguration, logger: Logger, systemd: SystemdEnvironment = .none
    ) async throws -> Daemon {
        try StateDirectory.prepare(configuration.stateDirectory)
        // Before the master key, the database, the socket and any resumed work (see StateFolderLock).
        let stateFolderLock = try StateFolderLock.acquire(stateDirectory: configuration.stateDirectory)
        BackupService.removeLeftoverCopy(stateDirectory: configuration.stateDirectory)
        let masterKey: [UInt8]
        do {
            masterKey = try MasterKeyFile.loadOrCreate(at: configuration.stateDirectory + "/master.key")
        } catch {
            throw ConfigurationError("\(error)")
        }
        let database = try SQLiteDatabase(path: configuration.stateDirectory + "/timmyd.db")
        try Migrator.migrate(database, Schema.migrations)
        let store = JobStore(database: database, changes: JobChangeNotifier())
        let metrics = DaemonMetrics()

        // Blocking work: key generation, and every upstream HTTP call (libcurl) for its
        // whole duration, so enough threads that parallel jobs do not queue behind one slow call.
        let threadPool = NIOThreadPool(numberOfThreads: 16)
        threadPool.start()
        HTTPClient.initializeLibrary()
        let payments: PaymentBackend
        let refunds: RefundAvailability
        do {
            let http = HTTPClient(threadPool: threadPool).metered(as: .lnbits, in: metrics)
            payments = try await Backends.payments(configuration, database: database, http: http, logger: logger)
            refunds = try await Backends.refunds(configuration, database: database, http: http, logger: logger)
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
        let vault = KeyVault(box: try SecretBox(masterKey: masterKey))
        let provider: NodeProvider
        let cloudHealth = UpstreamHealth()
        do {
            provider = try await Backends.provider(
                configuration, http: HTTPClient(threadPool: threadPool), cloudHealth: cloudHealth, vault: vault,
                logger: logger, metrics: metrics)
        } catch {
            try? await threadPool.shutdownGracefully()
            throw error
        }
        if configuration.requireReal && (payments.mode == .stub || provider.mode == .stub) {
            throw ConfigurationError(
                "--require-real: payments are \(payments.mode.rawValue) and provisioning is \(provider.mode.rawValue)")
        }
        for (name, mode, summary) in [
            ("payments", payments.mode, payments.summary), ("provisioning", provider.mode, provider.summary),
        ] where mode == .stub {
            logger.warning("STUB \(name): \(summary)")
        }

        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let provisioner = Provisioner(
            store: store, provider: provider, vault: vault, keyAlgorithm: configuration.sshKeyAlgorithm,
            threadPool: threadPool, crashAfterPhase: configuration.faultCrashAfterPhase,
            crashBeforeRecording: configuration.faultCrashBeforeRecording, nodeSetup: configuration.nodeSetup,
            logger: logger, metrics: metrics)
        let refunder = Refunder(
            store: store, availability: refunds, crashAfterSend: configuration.faultCrashAfterRefundSent, logger: logger,
            metrics: metrics)
        let watcher = PaymentWatcher(
            store: store, backend: payments, provisioner: provisioner, configuration: configuration, logger: logger,
            metrics: metrics)
        let dispatcher = Dispatcher.make(
            store: store, payments: payments, provider: provider, provisioner: provisioner, watcher: watcher,
            refunder: refunder, vault: vault,
            configuration: configuration, logger: logger)
        let server = SocketServer(
            configuration: configuration, dispatcher: dispatcher,
            nodeSetup: NodeSetupReceiver(store: store, logger: logger), group: group,
            handedOverDescriptor: systemd.listenDescriptor, logger: logger, metrics: metrics)

        var metricsServer: MetricsServer? = nil
        if let address = configuration.metricsListen {
            metricsServer = try await MetricsServer.bind(
                address, metrics: metrics, snapshot: MetricsSnapshot(store: store, nodeSetup: configuration.nodeSetup),
                group: group, logger: logger)
        }
        // Resume interrupted work before taking new requests; an interrupted refund is
        // asked about before anything else can touch its job.
        await refunder.resumeInterruptedRefunds()
        try await provisioner.resumeInterruptedJobs()
        try await server.start()

        // Start order; the group stops them in reverse (the last one first).
        var services = DaemonServices(logger: logger)
        services.add(UntilShutdown { await provisioner.shutdown() }, named: "provisioner")
        let retention = configuration.keyRetentionSeconds
        let confirmWindow = configuration.keyConfirmWindowSeconds
        if let metricsServer {
            services.add(BackgroundLoop { await metricsServer.run() }, named: "metrics")
        }
        for worker in Alerts.workers(
            configuration: configuration, database: database, watcher: watcher, cloudHealth: cloudHealth,
            http: HTTPClient(threadPool: threadPool), logger: logger)
        {
            services.add(BackgroundLoop(worker.run), named: worker.name)
        }
        services.add(
            BackgroundLoop {
                await KeyRetention.run(
                    store: store, retentionSeconds: retention, confirmWindowSeconds: confirmWindow, logger: logger)
            }, named: "key-retention")
        services.add(BackgroundLoop { await refunder.run(interval: .seconds(5)) }, named: "refunder")
        services.add(BackgroundLoop { await watcher.run() }, named: "payment-watcher")
        services.add(UntilShutdown { await server.stop() }, named: "socket-server")
        if configuration.faultServiceFailsAfterMilliseconds > 0 {
            services.add(
                FaultyService(delay: .milliseconds(configuration.faultServiceFailsAfterMilliseconds)),
                named: "fault-injection")
        }
        // Last: it hears of a stop first, so STOPPING=1 goes out before anything stops.
        services.add(
            SystemdNotifyService(
                notifier: SystemdNotifier(socketPath: systemd.notifySocket, logger: logger),
                status: "serving; payments \(payments.mode.rawValue), provisioning \(provider.mode.rawValue)",
                watchdogInterval: systemd.watchdogInterval), named: "systemd-notify")

        let serviceGroup = services.group()
        let running = Task {
            let outcome: Result<Void, Error>
            do {
                try await serviceGroup.run()
                outcome = .success(())
            } catch {
                outcome = .failure(error)
            }
            // Closes the connections still open (their replies are written by now).
            try? await group.shutdownGracefully()
            try? await threadPool.shutdownGracefully()
            try outcome.get()
        }
        logger.info(
            "timmyd \(TimmyVersion.string) started",
            metadata: [
                "payments": "\(payments.mode.rawValue)", "provisioning": "\(provider.mode.rawValue)",
                "services": "\(services.names.joined(separator: ","))",
            ])
        return Daemon(
            services: serviceGroup, running: running, stateFolderLock: stateFolderLock, store: store,
            serviceNames: services.names)
    }

    /// Stops gracefully (see the type's comment) and returns once everything stopped.
    /// A service failure during the stop is logged by the service, not thrown.
    func stop() async {
        await services.triggerGracefulShutdown()
        _ = await running.result
    }

    /// Returns once the daemon stopped after `stop()`; throws the failure if a
    /// service ended it instead.
    func waitUntilStopped() async throws {
        try await running.value
    }
}
