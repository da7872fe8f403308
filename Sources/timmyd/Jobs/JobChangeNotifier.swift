import NIOConcurrencyHelpers

/// Tells watchers that a job changed. Watchers re-read the job themselves, so a
/// burst of changes may reach them as fewer wake-ups, never as a missed final state.
///
/// Subscribers are kept per job, so an announcement touches only that job's watchers,
/// and a job's watchers can be capped.
final class JobChangeNotifier: Sendable {
    private struct State {
        var byJob: [String: [Int: AsyncStream<Void>.Continuation]] = [:]
        var nextToken = 0
    }

    private let state = NIOLockedValueBox(State())

    /// A stream that yields after each change of `jobID` until the caller stops iterating.
    func subscribe(jobID: String) -> AsyncStream<Void> {
        subscribe(jobID: jobID, limit: .max)!
    }

    /// As `subscribe(jobID:)`, or nil when the job already has `limit` subscribers.
    func subscribe(jobID: String, limit: Int) -> AsyncStream<Void>? {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let token = state.withLockedValue { state -> Int? in
            guard state.byJob[jobID, default: [:]].count < limit else { return nil }
            state.nextToken += 1
            state.byJob[jobID, default: [:]][state.nextToken] = continuation
            return state.nextToken
        }
        guard let token else { return nil }
        continuation.onTermination = { [state] _ in
            state.withLockedValue { state in
                state.byJob[jobID]?.removeValue(forKey: token)
                if state.byJob[jobID]?.isEmpty == true { state.byJob.removeValue(forKey: jobID) }
            }
        }
        return stream
    }

    /// How many subscribers `jobID` has now.
    func subscriberCount(jobID: String) -> Int {
        state.withLockedValue { $0.byJob[jobID]?.count ?? 0 }
    }

    /// How many subscribers all jobs have now (the metrics' open watches).
    var totalSubscriberCount: Int {
        state.withLockedValue { $0.byJob.values.reduce(0) { $0 + $1.count } }
    }

    func announce(jobID: String) {
        let matching = state.withLockedValue { $0.byJob[jobID].map { Array($0.values) } ?? [] }
        for continuation in matching { continuation.yield() }
    }
}
