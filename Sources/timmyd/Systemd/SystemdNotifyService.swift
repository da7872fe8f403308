import ServiceLifecycle

/// Tells systemd (`Type=notify`) how the daemon is doing: `READY=1` with a status once
/// the group runs (the socket is listening by then), `WATCHDOG=1` every half
/// `WATCHDOG_USEC`, and `STOPPING=1` as soon as a stop begins.
///
/// - Important: add it to the group last: the group stops services in reverse, so
///   this one hears of the stop first and `STOPPING=1` goes out before anything else stops.
struct SystemdNotifyService: Service {
    let notifier: SystemdNotifier
    let status: String
    let watchdogInterval: Duration?

    func run() async throws {
        notifier.send("READY=1", "STATUS=\(status)")
        if let watchdogInterval {
            let pause = watchdogInterval / 2
            await cancelWhenGracefulShutdown {
                while !Task.isCancelled {
                    notifier.send("WATCHDOG=1")
                    try? await Task.sleep(for: pause)
                }
            }
        } else {
            try? await gracefulShutdown()
        }
        notifier.send("STOPPING=1", "STATUS=stopping: finishing replies and recording work in progress")
    }
}
