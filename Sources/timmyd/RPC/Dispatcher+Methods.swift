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
            registrations: [
                .on(RPCMethods.discover, info.discover), .on(RPCMethods.daemonInfo, info.info),
                .on(RPCMethods.create, bootstrap.create), .on(RPCMethods.status, bootstrap.status),
                .on(RPCMethods.watch, bootstrap.watch), .on(RPCMethods.claimKey, bootstrap.claimKey),
                .on(RPCMethods.confirmKey, bootstrap.confirmKey), .on(RPCMethods.cancel, bootstrap.cancel),
                .on(RPCMethods.refund, refunds.refund), .on(RPCMethods.jobsRefund, refunds.adminRefund),
                .on(RPCMethods.jobsList, admin.listJobs), .on(RPCMethods.jobsGet, admin.getJob),
                .on(RPCMethods.stats, admin.stats), .on(RPCMethods.simulatePayment, admin.simulatePayment),
                .on(RPCMethods.userDataRender, userData.render), .on(RPCMethods.jobsRetry, cloud.retry),
                .on(RPCMethods.jobsDestroy, cloud.destroy), .on(RPCMethods.reconcile, cloud.reconcile),
                .on(RPCMethods.backup, backups.backup), .on(RPCMethods.events, events.list),
            ], maximumBatchLength: configuration.callerLimits.batchLength, logger: logger)
    }
}
