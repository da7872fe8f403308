import Foundation
import Logging
import NIOConcurrencyHelpers
import Testing

@testable import timmyd

/// The daemon run inside the test process with the test's own logger: start, serve,
/// stop, every service stopped in reverse start order.
struct InProcessDaemonTests {
    /// Keeps every record in memory.
    struct RecordingLogHandler: LogHandler {
        let records: NIOLockedValueBox<[String]>
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .debug
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let merged = metadata.merging(event.metadata ?? [:]) { _, new in new }
            let fields = merged.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
            records.withLockedValue { $0.append("\(event.message) \(fields)") }
        }
    }

    @Test func startsServesAndStopsEveryServiceInReverseOrderWithTheCallersLogger() async throws {
        let folder = try TemporaryDirectory()
        chmod(folder.path, 0o700)
        let configuration = try ConfigurationLoader(environment: ["LOG_LEVEL": "debug"], envFile: nil)
            .load(socketPath: folder.file("timmyd.sock"), stateDirectory: folder.file("state"), requireReal: false)
        let records = NIOLockedValueBox<[String]>([])
        let logger = Logger(label: "test") { _ in RecordingLogHandler(records: records) }

        let daemon = try await Daemon.start(configuration: configuration, logger: logger)
        #expect(FileManager.default.fileExists(atPath: folder.file("timmyd.sock")))
        #expect(
            daemon.serviceNames == [
                "provisioner", "alert-monitor", "key-retention", "refunder", "payment-watcher", "socket-server",
                "systemd-notify",
            ])
        await daemon.stop()
        try await daemon.waitUntilStopped()
        #expect(!FileManager.default.fileExists(atPath: folder.file("timmyd.sock")))

        // Every service stopped. Their order is GracefulShutdownTests' (a daemon process of its
        // own): in here the daemon shares the test runner's task pool, which blocking suites
        // can starve past the 20 s stop limit, after which the stragglers end in any order.
        let stopped = records.withLockedValue { $0 }.filter { $0.hasPrefix("service stopped") }
        #expect(
            Set(stopped) == Set(daemon.serviceNames.map { "service stopped service=\($0)" }) && stopped.count == daemon.serviceNames.count,
            "\(records.withLockedValue { $0 })")
    }
}
