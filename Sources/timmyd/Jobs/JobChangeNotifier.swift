import NIOConcurrencyHelpers

/// Tells watchers that a job changed. Watchers re-read the job themselves, so a
/// burst of changes may reach them as fewer wake-ups, never as a missed final state.
final class JobChangeNotifier: Sendable {
    private struct Subscriber {
        let jobID: String
        let continuation: AsyncStream<Void>.Continuation
    }

    private let subscribers = NIOLockedValueBox<[Int: Subscriber]>([:])
    private let nextToken = NIOLockedValueBox(0)

    /// A stream that yields after each change of `jobID` until the caller stops iterating.
    func subscribe(jobID: String) -> AsyncStream<Void> {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let token = nextToken.withLockedValue { value in
            value += 1
            return value
        }
        subscribers.withLockedValue { $0[token] = Subscriber(jobID: jobID, continuation: continuation) }
        continuation.onTermination = { [subscribers] _ in
            _ = subscribers.withLockedValue { $0.removeValue(forKey: token) }
        }
        return stream
    }

    func announce(jobID: String) {
        let matching = subscribers.withLockedValue { $0.values.filter { $0.jobID == jobID } }
        for subscriber in matching { subscriber.continuation.yield() }
    }
}
