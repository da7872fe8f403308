import NIOCore

/// Runs a task's jobs on one event loop. A request's task that prefers this executor
/// starts, awaits a handler that never suspends (daemon.info, most lookups) and writes
/// its reply without leaving the connection's thread: no wake-up of the global pool
/// and none of the event loop on the way back. Measured with timmy-bench, those two
/// thread hops were most of a request's cost (README, "Benchmarks").
///
/// Work that does suspend (an actor, a sleep) resumes here too, so a handler must not
/// block for long: it would hold up every connection on the same loop.
final class EventLoopTaskExecutor: TaskExecutor {
    let eventLoop: EventLoop

    init(eventLoop: EventLoop) {
        self.eventLoop = eventLoop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        eventLoop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
