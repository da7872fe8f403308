import Testing
@testable import timmyd

/// Watch subscriptions per job: capped, and released when a watcher goes away.
@Suite struct JobChangeNotifierTests {
    @Test func aJobsSubscribersAreCappedAndFreedWhenAStreamIsDropped() async {
        let notifier = JobChangeNotifier()
        var first: AsyncStream<Void>? = notifier.subscribe(jobID: "a", limit: 2)
        let second = notifier.subscribe(jobID: "a", limit: 2)
        #expect(first != nil && second != nil)
        #expect(notifier.subscribe(jobID: "a", limit: 2) == nil)
        // Another job is counted on its own.
        #expect(notifier.subscribe(jobID: "b", limit: 2) != nil)
        first = nil
        #expect(notifier.subscriberCount(jobID: "a") == 1)
        #expect(notifier.subscribe(jobID: "a", limit: 2) != nil)
        _ = second
    }

    @Test func anAnnouncementWakesOnlyThatJobsWatchers() async {
        let notifier = JobChangeNotifier()
        let watched = notifier.subscribe(jobID: "a")
        let other = notifier.subscribe(jobID: "b")
        notifier.announce(jobID: "a")
        var iterator = watched.makeAsyncIterator()
        #expect(await iterator.next() != nil)
        let otherWoke = Task {
            var iterator = other.makeAsyncIterator()
            return await iterator.next() != nil
        }
        try? await Task.sleep(for: .milliseconds(50))
        otherWoke.cancel()
        #expect(await otherWoke.value == false)
    }
}
