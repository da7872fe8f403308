import NIOConcurrencyHelpers

/// The watches one JSON-RPC connection holds, up to a cap: each watch is a subscriber
/// and a task for as long as it runs, so one connection may not open them without end.
final class WatchSlots: Sendable {
    let limit: Int
    private let used = NIOLockedValueBox(0)

    init(limit: Int) {
        self.limit = limit
    }

    /// Takes a slot; false when all are taken.
    func take() -> Bool {
        used.withLockedValue { used in
            guard used < limit else { return false }
            used += 1
            return true
        }
    }

    func give() {
        used.withLockedValue { $0 -= 1 }
    }

    var inUse: Int { used.withLockedValue { $0 } }
}
