import Logging
import NIOCore
import NIOPosix
import Protocol

#if canImport(Glibc)
import Glibc
#endif

/// The running daemon: the store, the backends, the background services and the
/// socket, started in an order that loses nothing and stopped in reverse.
final class Daemon: Sendable {
    private let server: SocketServer
    private let provisioner: Provisioner
    private let watcherTask: Task<Void, Never>
    private let group: MultiThreadedEventLoopGroup
    private let threadPool: NIOThreadPool
    /// Held until the daemon is released: no second daemon can start on the state folder meanwhile.
    private let stateFolderLock: StateFolderLock

    private init(
        server: SocketServer, provisioner: Provisioner, watcherTask: Task<Void, Never>,
        group: MultiThreadedEventLoopGroup, threadPool: NIOThreadPool, stateFolderLock: StateFolderLock
    ) {
        self.stateFolderLock = stateFolderLock
        self.server = server
        self.provisioner = provisioner
        self.watcherTask = watcherTask
        self.group = group
        self.threadPool = threadPool
    }

    static func start(configuration: DaemonConfiguration, logger: Logger) async throws -> Daemon {
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
            nodeSetup: NodeSetupReceiver(store: store, logger: logger), group: group, logger: logger,
            metrics: metrics)

        var metricsServer: MetricsServer? = nil
        if let address = configuration.metricsListen {
            metricsServer = try await MetricsServer.bind(
                address, metrics: metrics, snapshot: MetricsSnapshot(store: store, stallSeconds: configuration.nodeSetup.stallSeconds),
                group: group, logger: logger)
        }
        // Resume interrupted work before taking new requests; an interrupted refund is
        // asked about before anything else can touch its job.
        await refunder.resumeInterruptedRefunds()
        try await provisioner.resumeInterruptedJobs()
        try await server.start()
        let retention = configuration.keyRetentionSeconds
        let confirmWindow = configuration.keyConfirmWindowSeconds
        let alertWorkers = Alerts.workers(
            configuration: configuration, database: database, watcher: watcher, cloudHealth: cloudHealth,
            http: HTTPClient(threadPool: threadPool), logger: logger)
        let watcherTask = Task {
            await withTaskGroup(of: Void.self) { tasks in
                tasks.addTask { await watcher.run() }
                tasks.addTask { [metricsServer] in await metricsServer?.run() }
                tasks.addTask { await refunder.run(interval: .seconds(5)) }
                tasks.addTask {
                    await KeyRetention.run(
                        store: store, retentionSeconds: retention, confirmWindowSeconds: confirmWindow, logger: logger)
                }
                for worker in alertWorkers { tasks.addTask { await worker() } }
            }
        }
        logger.info(
            "timmyd \(TimmyVersion.string) started",
            metadata: ["payments": "\(payments.mode.rawValue)", "provisioning": "\(provider.mode.rawValue)"])
        return Daemon(
            server: server, provisioner: provisioner, watcherTask: watcherTask, group: group, threadPool: threadPool,
            stateFolderLock: stateFolderLock)
    }

    func stop() async {
        await server.stop()
        watcherTask.cancel()
        await watcherTask.value
        await provisioner.shutdown()
        try? await group.shutdownGracefully()
        try? await threadPool.shutdownGracefully()
    }
}
