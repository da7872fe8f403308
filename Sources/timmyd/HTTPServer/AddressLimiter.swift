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
    func addConnection(_ address: String) -> Bool {
        take(address) { counts in
            guard counts.connections < maximumConnections else { return false }
            counts.connections += 1
            return true
        }
    }

    func removeConnection(_ address: String) {
        give(address) { $0.connections -= 1 }
    }

    /// Counts an event stream for `address`; false when the address has its share.
    func addStream(_ address: String) -> Bool {
        take(address) { counts in
            guard counts.streams < maximumStreams else { return false }
            counts.streams += 1
            return true
        }
    }

    func removeStream(_ address: String) {
        give(address) { $0.streams -= 1 }
    }

    /// Connections and streams counted for `address` now.
    func usage(_ address: String) -> (connections: Int, streams: Int) {
        counts.withLockedValue { counts in counts[address].map { ($0.connections, $0.streams) } ?? (0, 0) }
    }

    private func take(_ address: String, _ change: (inout Counts) -> Bool) -> Bool {
        counts.withLockedValue { counts in change(&counts[address, default: Counts()]) }
    }

    private func give(_ address: String, _ change: (inout Counts) -> Void) {
        counts.withLockedValue { counts in
            guard var entry = counts[address] else { return }
            change(&entry)
            // An address with nothing open is forgotten, so the table holds only live addresses.
            counts[address] = entry.connections <= 0 && entry.streams <= 0 ? nil : entry
        }
    }
}
