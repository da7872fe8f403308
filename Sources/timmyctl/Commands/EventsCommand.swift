import ArgumentParser
import Protocol

struct Events: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "events",
        abstract: "List operator events: failed jobs, refunds needed or failed, stalled setups, upstream outages, orphans (admin).",
        discussion: """
            One event per line: id, time, kind, job, summary and how its webhook delivery stands. \
            With --json each event is one JSON object per line. With --follow the command keeps \
            running and prints each new event as it is recorded; pass the last id you saw as \
            --since to carry on where a previous run stopped.
            """)

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Keep running and print each new event as it happens.")
    var follow = false

    @Option(help: "Only events with an id above this one.")
    var since: Int64 = 0

    @Option(help: "At most this many past events (1-\(OperatorEventsParams.maximumLimit)).")
    var limit: Int64 = OperatorEventsParams.defaultLimit

    func run() throws {
        let client = try options.connect()
        let params = OperatorEventsParams(since: since, limit: limit, follow: follow)
        let reply = try options.call(client, RPCMethods.events, params)
        let past = reply.result.events
        for event in past { show(event) }
        if past.isEmpty && !follow && !options.json { Output.line("no events after #\(since)") }
        guard follow else { return }
        while true {
            let next: JSONValue?
            do {
                next = try client.nextNotification(MethodName.eventNotification)
            } catch {
                Output.error("\(error)")
                throw ExitCode(ExitStatus.unavailable)
            }
            guard let params = next else {
                Output.error("timmyd closed the connection")
                throw ExitCode(ExitStatus.unavailable)
            }
            do {
                show(try OperatorEventEntry(json: params))
            } catch {
                Output.error("timmyd sent an event timmyctl cannot read: \(error.message)")
                throw ExitCode(ExitStatus.unavailable)
            }
        }
    }

    private func show(_ event: OperatorEventEntry) {
        if options.json { return Output.line(event.json.serialized()) }
        var state = event.delivery.state
        if event.delivery.attempts > 0 {
            state += " after \(event.delivery.attempts) attempt\(event.delivery.attempts == 1 ? "" : "s")"
            if let status = event.delivery.lastStatus { state += ", last HTTP \(status)" }
        }
        Output.line(
            "#\(event.id)  \(event.at)  \(event.kind)" + (event.jobId.map { "  job \($0)" } ?? "")
                + "  \(event.summary)  [\(state)]")
    }
}
