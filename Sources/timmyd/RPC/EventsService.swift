import NIOConcurrencyHelpers
import Protocol

/// `admin.events`: the operator events outbox, and with `follow` each new event as it is recorded.
struct EventsService: Sendable {
    let events: OperatorEventStore
    /// How often a follower looks for new events (they are written by triggers, in other transactions).
    var followIntervalMilliseconds: Int64 = 250

    func list(_ request: OperatorEventsParams, _ caller: Caller) async throws -> MethodReply<OperatorEventsPage> {
        let page = try events.events(after: request.since, limit: request.limit)
        // The next `since`; a follower continues from there, so a full page's remainder
        // arrives as notifications and nothing is skipped.
        let last = page.last?.id ?? request.since
        let result = OperatorEventsPage(events: page.map(\.entry), lastId: last)
        guard request.follow else { return MethodReply(result) }
        let store = events
        let interval = followIntervalMilliseconds
        return MethodReply(result) { sink in
            let closed = NIOLockedValueBox(false)
            sink.onClose { closed.withLockedValue { $0 = true } }
            var after = last
            while !Task.isCancelled, !closed.withLockedValue({ $0 }) {
                guard let fresh = try? store.events(after: after, limit: OperatorEventsParams.maximumLimit) else { return }
                for event in fresh {
                    guard await sink.send(method: MethodName.eventNotification, params: event.entry.json) else { return }
                    after = event.id
                }
                if fresh.isEmpty { try? await Task.sleep(for: .milliseconds(interval)) }
            }
        }
    }
}
