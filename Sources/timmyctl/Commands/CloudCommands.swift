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
        let reply = try options.call(client, RPCMethods.jobsRetry, JobReference(jobId: job))
        if options.json { return Output.json(reply.raw) }
        Output.line("job \(job) is \(reply.result.state.rawValue) again; follow it with: timmyctl job \(job)")
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
        let reply = try options.call(client, RPCMethods.jobsDestroy, JobReference(jobId: job))
        if options.json { return Output.json(reply.raw) }
        Output.line("job \(job) is \(reply.result.state.rawValue)")
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
        let reply = try options.call(client, RPCMethods.reconcile, ReconcileParams(delete: delete))
        if options.json { return Output.json(reply.raw) }
        let result = reply.result
        if result.orphans.isEmpty { Output.line("no orphaned resources (\(result.mode) provisioning)") }
        for orphan in result.orphans {
            let state = orphan.deleted.map { $0 ? "  deleted" : "  NOT deleted" } ?? ""
            Output.line("\(orphan.kind) \(orphan.id) \(orphan.name)" + state)
        }
        for error in result.errors { Output.error(error) }
        if !result.errors.isEmpty { throw ExitCode(ExitStatus.daemonError) }
    }
}
