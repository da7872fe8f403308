import ArgumentParser
import Protocol

struct Retry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Provision a failed job again from scratch (admin).",
        discussion: "Whatever the failed run left in the cloud is deleted first; the node gets new resources and a new key.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The job id.")
    var job: String

    func run() throws {
        let client = try options.connect()
        let reply = try options.call(client, .jobsRetry, JobReference(jobId: job).json)
        if options.json { return Output.json(reply) }
        Output.line("job \(job) is \(reply["state"]?.stringValue ?? "?") again; follow it with: timmyctl job \(job)")
    }
}

struct Destroy: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "destroy", abstract: "Tear a ready node down: its droplet, volume and keys are deleted (admin).")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The job id.")
    var job: String

    func run() throws {
        let client = try options.connect()
        let reply = try options.call(client, .jobsDestroy, JobReference(jobId: job).json)
        if options.json { return Output.json(reply) }
        Output.line("job \(job) is \(reply["state"]?.stringValue ?? "?")")
    }
}

struct Reconcile: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "reconcile",
        abstract: "List cloud resources that look like timmyd's but no live job owns (admin).",
        discussion: "A live job is one provisioning or ready. With --delete the listed resources are removed.")

    @OptionGroup var options: GlobalOptions

    @Flag(help: "Delete what is listed.")
    var delete = false

    func run() throws {
        let client = try options.connect()
        let reply = try options.call(client, .reconcile, ReconcileParams(delete: delete).json)
        if options.json { return Output.json(reply) }
        let orphans = reply["orphans"]?.arrayValue ?? []
        if orphans.isEmpty { Output.line("no orphaned resources (\(reply["mode"]?.stringValue ?? "?") provisioning)") }
        for orphan in orphans {
            let state = orphan["deleted"]?.boolValue.map { $0 ? "  deleted" : "  NOT deleted" } ?? ""
            Output.line(
                "\(orphan["kind"]?.stringValue ?? "?") \(orphan["id"]?.stringValue ?? "?") \(orphan["name"]?.stringValue ?? "")"
                    + state)
        }
        for error in reply["errors"]?.arrayValue ?? [] { Output.error(error.stringValue ?? "") }
        if !(reply["errors"]?.arrayValue ?? []).isEmpty { throw ExitCode(ExitStatus.daemonError) }
    }
}
