import Logging
import Synchronization

/// A swift-log handler that keeps every record in memory (level, message, metadata,
/// source), so a test can search all that a daemon logged. Records at every level.
struct RecordingLogHandler: LogHandler {
    struct Record: Sendable {
        var level: Logger.Level
        var message: String
        var metadata: Logger.Metadata
        var source: String

        /// Everything the record carries, as one searchable text.
        var text: String {
            let fields = metadata.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
            return ([level.rawValue, source, message] + fields).joined(separator: " ")
        }
    }

    /// Shared by every copy of the handler (a Logger copies its handler on each metadata change).
    final class Store: Sendable {
        private let records = Mutex<[Record]>([])
        func append(_ record: Record) { records.withLock { $0.append(record) } }
        var all: [Record] { records.withLock { $0 } }
    }

    let store: Store
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    init(store: Store) { self.store = store }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let extra = event.metadata { merged.merge(extra) { _, new in new } }
        // An attached error is part of the record: its text may carry what a message does not.
        if let error = event.error { merged["error"] = "\(error)" }
        store.append(Record(level: event.level, message: "\(event.message)", metadata: merged, source: event.source))
    }

    /// A logger writing to a new store, and that store.
    static func logger(label: String = "timmyd") -> (Logger, Store) {
        let store = Store()
        return (Logger(label: label) { _ in RecordingLogHandler(store: store) }, store)
    }
}
