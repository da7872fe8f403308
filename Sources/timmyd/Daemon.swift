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

    private init(
        server: SocketServer, provisioner: Provisioner, watcherTask: Task<Void, Never>,
        group: MultiThreadedEventLoopGroup, threadPool: NIOThreadPool
    ) {
        self.server = server
        self.provisioner = provisioner
        self.watcherTask = watcherTask
        self.group = group
        self.threadPool = threadPool
    }

    static func start(configuration: DaemonConfiguration, logger: Logger) async throws -> Daemon {
        try StateDirectory.prepare(configuration.stateDirectory)
        let masterKey: [UInt8]
        do {
            masterKey = try MasterKeyFile.loadOrCreate(at: configuration.stateDirectory + "/master.key")
        } catch {
            throw ConfigurationError("\(error)")
        }
        let database = try SQLiteDatabase(path: configuration.stateDirectory + "/timmyd.db")
        try Migrator.migrate(database, Schema.migrations)
        let store = JobStore(database: database, changes: JobChangeNotifier())

        let payments = try Backends.payments(configuration, database: database)
        let provider = try Backends.provider(configuration)
        if configuration.requireReal && (payments.mode == .stub || provider.mode == .stub) {
            throw ConfigurationError(
                "--require-real: payments are \(payments.mode.rawValue) and provisioning is \(provider.mode.rawValue)")
        }
        for (name, mode, summary) in [
            ("payments", payments.mode, payments.summary), ("provisioning", provider.mode, provider.summary),
        ] where mode == .stub {
            logger.warning("STUB \(name): \(summary)")
        }

        let threadPool = NIOThreadPool(numberOfThreads: 2)
        threadPool.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let vault = KeyVault(box: try SecretBox(masterKey: masterKey))
        let provisioner = Provisioner(
            store: store, provider: provider, vault: vault, keyAlgorithm: configuration.sshKeyAlgorithm,
            threadPool: threadPool, logger: logger)
        let watcher = PaymentWatcher(
            store: store, backend: payments, provisioner: provisioner, configuration: configuration, logger: logger)
        let dispatcher = Dispatcher.make(
            store: store, payments: payments, provider: provider, watcher: watcher, vault: vault,
            configuration: configuration, logger: logger)
        let server = SocketServer(configuration: configuration, dispatcher: dispatcher, group: group, logger: logger)

        // Resume interrupted work before taking new requests.
        try await provisioner.resumeInterruptedJobs()
        try await server.start()
        let retention = configuration.keyRetentionSeconds
        let watcherTask = Task {
            await withTaskGroup(of: Void.self) { tasks in
                tasks.addTask { await watcher.run() }
                tasks.addTask { await KeyRetention.run(store: store, retentionSeconds: retention, logger: logger) }
            }
        }
        logger.info(
            "timmyd \(TimmyVersion.string) started",
            metadata: ["payments": "\(payments.mode.rawValue)", "provisioning": "\(provider.mode.rawValue)"])
        return Daemon(
            server: server, provisioner: provisioner, watcherTask: watcherTask, group: group, threadPool: threadPool)
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

/// Chooses the real or the stub backends from the configuration.
enum Backends {
    static func payments(_ configuration: DaemonConfiguration, database: SQLiteDatabase) throws -> PaymentBackend {
        guard configuration.lnbits == nil else {
            throw ConfigurationError("LNBITS_URL is set, but this build of timmyd has no LNbits backend yet")
        }
        return StubPaymentBackend(database: database)
    }

    static func provider(_ configuration: DaemonConfiguration) throws -> NodeProvider {
        guard configuration.digitalOcean == nil else {
            throw ConfigurationError("DO_API_TOKEN is set, but this build of timmyd has no DigitalOcean provider yet")
        }
        return StubNodeProvider(
            totalDelayMilliseconds: configuration.stubProvisionDelayMilliseconds,
            failAt: configuration.stubProvisionFailAt)
    }
}

extension Dispatcher {
    static func make(
        store: JobStore, payments: PaymentBackend, provider: NodeProvider, watcher: PaymentWatcher, vault: KeyVault,
        configuration: DaemonConfiguration, logger: Logger
    ) -> Dispatcher {
        let bootstrap = BootstrapService(
            store: store, payments: payments, watcher: watcher, vault: vault, configuration: configuration,
            logger: logger)
        let admin = AdminService(store: store, payments: payments, watcher: watcher, logger: logger)
        let info = DaemonInfoService(configuration: configuration, payments: payments, provider: provider, watcher: watcher)
        return Dispatcher(
            handlers: [
                .discover: info.discover, .daemonInfo: info.info,
                .create: bootstrap.create, .status: bootstrap.status, .watch: bootstrap.watch,
                .claimKey: bootstrap.claimKey, .cancel: bootstrap.cancel,
                .jobsList: admin.listJobs, .jobsGet: admin.getJob, .stats: admin.stats,
                .simulatePayment: admin.simulatePayment,
            ], logger: logger)
    }
}

/// Wipes private keys nobody claimed within the retention period, hourly.
enum KeyRetention {
    static func run(store: JobStore, retentionSeconds: Int64, logger: Logger) async {
        while !Task.isCancelled {
            do {
                let wiped = try store.wipeUnclaimedKeys(readyBefore: Timestamp.now().adding(seconds: -retentionSeconds))
                for id in wiped { logger.notice("unclaimed ssh key wiped after retention", metadata: ["job": "\(id)"]) }
            } catch {
                logger.error("key retention sweep failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(3600))
        }
    }
}

/// The state folder: created 0700 if missing; refused if others can enter it.
enum StateDirectory {
    static func prepare(_ path: String) throws {
        if mkdir(path, 0o700) != 0 && errno != EEXIST {
            throw ConfigurationError("cannot create the state folder \(path): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard stat(path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR else {
            throw ConfigurationError("the state folder \(path) is not a folder")
        }
        guard info.st_mode & 0o077 == 0 else {
            throw ConfigurationError(
                "the state folder \(path) has mode \(String(info.st_mode & 0o777, radix: 8)); it holds keys: chmod 700 it")
        }
    }
}
