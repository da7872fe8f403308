import Logging
import NIOCore
import NIOHTTP1
import NIOPosix

/// The `METRICS_LISTEN` endpoint: a small HTTP/1.1 listener of its own (not the Unix
/// socket, whose callers are buyers), serving `MetricsHTTPHandler`.
///
/// Bound by `bind` while the daemon starts, so a taken port stops the start with a clear
/// error; `run()` serves until its task is cancelled, then closes the listener.
final class MetricsServer: Sendable {
    private let channel: Channel

    private init(channel: Channel) {
        self.channel = channel
    }

    static func bind(
        _ address: MetricsListenAddress, metrics: DaemonMetrics, snapshot: MetricsSnapshot, group: EventLoopGroup,
        logger: Logger
    ) async throws -> MetricsServer {
        let scrape: @Sendable () async -> [UInt8] = {
            do {
                try snapshot.refresh(metrics)
            } catch {
                // The counters are still worth serving; the database gauges keep their last values.
                logger.warning("metrics: cannot read the job counts", metadata: ["error": "\(error)"])
            }
            return metrics.exposition()
        }
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 16)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandlers([
                        IdleStateHandler(readTimeout: .seconds(60)), MetricsHTTPHandler(scrape: scrape),
                    ])
                }
            }
        let channel: Channel
        do {
            channel = try await bootstrap.bind(host: address.host, port: address.port).get()
        } catch {
            throw ConfigurationError("METRICS_LISTEN: cannot listen on \(address.description): \(error)")
        }
        logger.info("serving Prometheus metrics", metadata: ["listen": "\(address.description)", "path": "/metrics"])
        return MetricsServer(channel: channel)
    }

    /// Serves until the calling task is cancelled (or the listener fails), then closes it.
    func run() async {
        await withTaskCancellationHandler {
            try? await channel.closeFuture.get()
        } onCancel: { [channel] in
            channel.close(promise: nil)
        }
    }
}
