import NIOConcurrencyHelpers

/// Per client address, the HTTP connections serving it and its open event streams,
/// each up to a cap. One visitor (or one address's worth of visitors) cannot take
/// every HTTP connection or every watch. Shared by all connections of the socket.
final class AddressLimiter: Sendable {
    private struct Counts {
        var connections = 0
        var streams = 0
    }

    let maximumConnections: Int
    let maximumStreams: Int
    private let counts = NIOLockedValueBox<[String: Counts]>([:])

    init(connections: Int, streams: Int) {
        maximumConnections = connections
        maximumStreams = streams
    }

    /// Counts a connection for `address`; false when the address has its share.
    func addConnection(_ address: String) -> Bool { add(address, \.connections, upTo: maximumConnections) }

    func removeConnection(_ address: String) { remove(address, \.connections) }

    /// Counts an event stream for `address`; false when the address has its share.
    func addStream(_ address: String) -> Bool { add(address, \.streams, upTo: maximumStreams) }

    func removeStream(_ address: String) { remove(address, \.streams) }

    /// Connections and streams counted for `address` now.
    func usage(_ address: String) -> (connections: Int, streams: Int) {
        counts.withLockedValue { counts in counts[address].map { ($0.connections, $0.streams) } ?? (0, 0) }
    }

    private func add(_ address: String, _ count: WritableKeyPath<Counts, Int>, upTo limit: Int) -> Bool {
        counts.withLockedValue { counts in
            guard counts[address, default: Counts()][keyPath: count] < limit else { return false }
            counts[address, default: Counts()][keyPath: count] += 1
            return true
        }
    }

    private func remove(_ address: String, _ count: WritableKeyPath<Counts, Int>) {
        counts.withLockedValue { counts in
            guard var entry = counts[address] else { return }
            entry[keyPath: count] -= 1
            // An address with nothing open is forgotten, so the table holds only live addresses.
            counts[address] = entry.connections <= 0 && entry.streams <= 0 ? nil : entry
        }
    }
}
