import ArgumentParser
import Protocol

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "What this timmyd is: version, modes, price, plan.")

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let client = try options.connect()
        let reply = try options.call(client, RPCMethods.daemonInfo)
        if options.json { return Output.json(reply.raw) }
        let info = reply.result
        Output.line("timmyd \(info.version)")
        let paymentsHealth = info.payments.health == "ok" ? "" : " [\(info.payments.health)]"
        Output.line("payments:      \(info.payments.mode) (\(info.payments.summary))\(paymentsHealth)")
        Output.line("provisioning:  \(info.provisioning.mode) (\(info.provisioning.summary))")
        Output.line("price:         \(info.priceSats) sats")
        Output.line(
            "node setup:    "
                + (info.nodeSetupReports ? "nodes report their install progress" : "not reported (no NODE_CALLBACK_URL)"))
        let plan = info.plan
        Output.line("plan:          \(plan.size) in \(plan.region), \(plan.image), volume \(plan.volumeSizeGb) GB")
        Output.line("you:           uid \(info.caller.uid), \(info.caller.role.rawValue)")
    }
}

struct Jobs: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "jobs", abstract: "List jobs, newest first (admin).")

    @OptionGroup var options: GlobalOptions

    @Option(help: "Only jobs in this state.")
    var state: String?

    @Option(help: "At most this many jobs per page.")
    var limit: Int64 = JobListParams.defaultLimit

    @Option(help: "Continue after this cursor (printed after a full page).")
    var cursor: String?

    @Flag(help: "Only ready nodes whose setup has not reported for NODE_SETUP_STALL_MINUTES.")
    var stalled = false

    func run() throws {
        let client = try options.connect()
        var params = JobListParams(limit: limit, cursor: cursor, stalled: stalled)
        if let state {
            guard let known = JobState(rawValue: state) else {
                throw ValidationError("--state must be one of: \(JobState.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            params.state = known
        }
        let reply = try options.call(client, RPCMethods.jobsList, params)
        if options.json { return Output.json(reply.raw) }
        let jobs = reply.result.jobs
        Output.line("JOB                                   STATE             PHASE                  SATS     CREATED                   SETUP")
        for job in jobs {
            func column(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(1, width - text.count)) }
            Output.line(
                column(job.jobId, 38) + column(job.state.rawValue, 18) + column(job.phase?.rawValue ?? "-", 23)
                    + column(String(job.amountSats), 9) + column(job.createdAt, 26) + Self.setupColumn(job.nodeSetup))
        }
        if let next = reply.result.nextCursor { Output.line("more: timmyctl jobs --cursor \(next)") }
    }

    /// A ready node's last setup report ("lnd/running", with when), or "-".
    static func setupColumn(_ setup: NodeSetupStatus?) -> String {
        guard let setup, setup.reported else { return "-" }
        guard let step = setup.step, let state = setup.state else { return "no report yet" }
        return "\(step.rawValue)/\(state.rawValue)" + (setup.updatedAt.map { " at \($0)" } ?? "")
    }
}

struct Job: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "job", abstract: "One job with its history (admin).")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The job id.")
    var job: String

    func run() throws {
        let client = try options.connect()
        Output.json(try options.call(client, RPCMethods.jobsGet, JobReference(jobId: job)).raw)
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Counts by state, sats taken, provisioning times (admin).")

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let client = try options.connect()
        Output.json(try options.call(client, RPCMethods.stats).raw)
    }
}

struct SimulatePayment: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate-payment", abstract: "Pay a job's stub invoice (admin; stub payments only).")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The job id.")
    var job: String

    func run() throws {
        let client = try options.connect()
        let reply = try options.call(client, RPCMethods.simulatePayment, JobReference(jobId: job))
        if options.json { Output.json(reply.raw) } else { Output.status(reply.result) }
    }
}

struct Call: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call", abstract: "Call any method with JSON params and print the raw reply.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The method, e.g. daemon.info.")
    var method: String

    @Argument(help: "Params as a JSON object.")
    var params: String?

    func run() throws {
        var value: JSONValue? = nil
        if let params {
            do { value = try JSONValue.parse(params) } catch {
                throw ValidationError("params: \(error)")
            }
        }
        let client = try options.connect()
        Output.json(try GlobalOptions.call(client, method, value))
    }
}

struct RenderUserData: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "render-user-data",
        abstract: "Print the cloud-init script a buyer's node runs, for review (admin).",
        discussion: """
            The script is rendered by timmyd from the same template as a real job's, with \
            timmy-00000000 for the job's name and a placeholder for the one-off Tailscale key.
            """)

    @OptionGroup var options: GlobalOptions

    @Option(name: .customLong("volume-gb"), help: "Block volume size in GB, 0 for none (default: the daemon's plan).")
    var volumeGb: Int64?

    @Flag(help: "Include the Tailscale join (with a placeholder key).")
    var tailscale = false

    func run() throws {
        let client = try options.connect()
        let params = UserDataRenderParams(volumeGb: volumeGb, tailscale: tailscale)
        let reply = try options.call(client, RPCMethods.userDataRender, params)
        if options.json { return Output.json(reply.raw) }
        Output.raw(reply.result.userData)
    }
}

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup", abstract: "An online, checked copy of the daemon's database into a new file (admin).",
        discussion: """
            The file is created by timmyctl, as you, mode 0600; it must not exist yet. \
            The master key is not in the copy: keep it elsewhere, separately.
            """)

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The file to create (must not exist).")
    var file: String

    func run() throws {
        // Create the file first: a path that exists (or is a symlink) is refused before the daemon does any work.
        let target: BackupFile
        do {
            target = try BackupFile(creating: file)
        } catch {
            Output.error("\(error)")
            throw ExitCode(ExitStatus.localFile)
        }
        let client: RPCClient
        let reply: RPCReply<BackupSummary>
        do {
            client = try options.connect()
            reply = try options.call(client, RPCMethods.backup)
        } catch {
            target.discard()
            throw error
        }
        let summary = reply.result
        do {
            try target.receive(summary, from: client)
        } catch {
            target.discard()
            Output.error("\(error)")
            throw ExitCode(error is LocalFileError ? ExitStatus.localFile : ExitStatus.unavailable)
        }
        if options.json {
            var object = reply.raw.objectValue ?? [:]
            object["path"] = .string(file)
            return Output.json(.object(object))
        }
        Output.line("backup:    \(file)")
        Output.line("bytes:     \(summary.bytes)")
        Output.line("jobs:      \(summary.jobs)")
        Output.line("sha256:    \(summary.sha256)")
        Output.line("integrity: \(summary.integrityCheck)")
        Output.line("note:      \(summary.masterKeyReminder)")
    }
}
