import Logging
import Protocol

extension Dispatcher {
    static func make(
        store: JobStore, payments: PaymentBackend, provider: NodeProvider, provisioner: Provisioner,
        watcher: PaymentWatcher, refunder: Refunder, vault: KeyVault,
        configuration: DaemonConfiguration, logger: Logger
    ) -> Dispatcher {
        let bootstrap = BootstrapService(
            store: store, payments: payments, watcher: watcher, vault: vault, configuration: configuration,
            createRate: CreateRateLimiter(perMinute: configuration.callerLimits.createsPerMinute), logger: logger)
        let admin = AdminService(
            store: store, payments: payments, watcher: watcher, nodeSetup: configuration.nodeSetup, logger: logger)
        let refunds = RefundService(store: store, refunder: refunder)
        let userData = UserDataService(configuration: configuration)
        let cloud = CloudAdminService(store: store, provider: provider, provisioner: provisioner, logger: logger)
        let events = EventsService(events: OperatorEventStore(database: store.database))
        let backups = BackupService(store: store, configuration: configuration, logger: logger)
        let info = DaemonInfoService(
            configuration: configuration, payments: payments, provider: provider, watcher: watcher, refunder: refunder)
        return Dispatcher(
            handlers: [
                .discover: info.discover, .daemonInfo: info.info,
                .create: bootstrap.create, .status: bootstrap.status, .watch: bootstrap.watch,
                .claimKey: bootstrap.claimKey, .confirmKey: bootstrap.confirmKey, .cancel: bootstrap.cancel, .refund: refunds.refund,
                .jobsRefund: refunds.adminRefund,
                .jobsList: admin.listJobs, .jobsGet: admin.getJob, .stats: admin.stats,
                .simulatePayment: admin.simulatePayment, .userDataRender: userData.render,
                .jobsRetry: cloud.retry, .jobsDestroy: cloud.destroy, .reconcile: cloud.reconcile,
                .backup: backups.backup, .events: events.list,
            ], maximumBatchLength: configuration.callerLimits.batchLength, logger: logger)
    }
}
