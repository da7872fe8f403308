import ArgumentParser
import Protocol

struct Info: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "info", abstract: "What this timmyd is: version, modes, price, plan.")

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let client = try options.connect()
        let info = try options.call(client, .daemonInfo)
        if options.json { return Output.json(info) }
        Output.line("timmyd \(info["version"]?.stringValue ?? "?")")
        let paymentsHealth = info["payments"]?["health"]?.stringValue.map { $0 == "ok" ? "" : " [\($0)]" } ?? ""
        Output.line("payments:      \(info["payments"]?["mode"]?.stringValue ?? "?") (\(info["payments"]?["summary"]?.stringValue ?? ""))\(paymentsHealth)")
        Output.line("provisioning:  \(info["provisioning"]?["mode"]?.stringValue ?? "?") (\(info["provisioning"]?["summary"]?.stringValue ?? ""))")
        Output.line("price:         \(info["priceSats"]?.intValue ?? 0) sats")
        if let reports = info["nodeSetupReports"]?.boolValue {
            Output.line("node setup:    " + (reports ? "nodes report their install progress" : "not reported (no NODE_CALLBACK_URL)"))
        }
        if let plan = info["plan"] {
            Output.line("plan:          \(plan["size"]?.stringValue ?? "?") in \(plan["region"]?.stringValue ?? "?"), \(plan["image"]?.stringValue ?? "?"), volume \(plan["volumeSizeGb"]?.intValue ?? 0) GB")
        }
        Output.line("you:           uid \(info["caller"]?["uid"]?.intValue ?? -1), \(info["caller"]?["role"]?.stringValue ?? "?")")
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
        var params: [String: JSONValue] = ["limit": .int(limit)]
        if stalled { params["stalled"] = .bool(true) }
        if let state { params["state"] = .string(state) }
        if let cursor { params["cursor"] = .string(cursor) }
        let reply = try options.call(client, .jobsList, .object(params))
        if options.json { return Output.json(reply) }
        let jobs = reply["jobs"]?.arrayValue ?? []
        Output.line("JOB                                   STATE             PHASE                  SATS     CREATED                   SETUP")
        for job in jobs {
            func column(_ text: String, _ width: Int) -> String { text + String(repeating: " ", count: max(1, width - text.count)) }
            Output.line(
                column(job["jobId"]?.stringValue ?? "?", 38) + column(job["state"]?.stringValue ?? "?", 18)
                    + column(job["phase"]?.stringValue ?? "-", 23)
                    + column(String(job["amountSats"]?.intValue ?? 0), 9) + column(job["createdAt"]?.stringValue ?? "", 26)
                    + Self.setupColumn(job["nodeSetup"]))
        }
        if let next = reply["nextCursor"]?.stringValue { Output.line("more: timmyctl jobs --cursor \(next)") }
    }

    /// A ready node's last setup report ("lnd/running", with when), or "-".
    static func setupColumn(_ setup: JSONValue?) -> String {
        guard let setup, setup["reported"]?.boolValue == true else { return "-" }
        guard let step = setup["step"]?.stringValue, let state = setup["state"]?.stringValue else { return "no report yet" }
        return "\(step)/\(state)" + (setup["updatedAt"]?.stringValue.map { " at \($0)" } ?? "")
    }
}

struct Job: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "job", abstract: "One job with its history (admin).")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The job id.")
    var job: String

    func run() throws {
        let client = try options.connect()
        Output.json(try options.call(client, .jobsGet, JobReference(jobId: job).json))
    }
}

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats", abstract: "Counts by state, sats taken, provisioning times (admin).")

    @OptionGroup var options: GlobalOptions

    func run() throws {
        let client = try options.connect()
        Output.json(try options.call(client, .stats))
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
        let reply = try options.call(client, .simulatePayment, JobReference(jobId: job).json)
        if options.json { Output.json(reply) } else { Output.status(try JobStatus(json: reply)) }
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
        let reply = try options.call(client, .userDataRender, params.json)
        if options.json { return Output.json(reply) }
        let script = reply["userData"]?.stringValue ?? ""
        Output.raw(script)
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
        let reply: JSONValue
        do {
            client = try options.connect()
            reply = try options.call(client, .backup)
        } catch {
            target.discard()
            throw error
        }
        let summary: BackupSummary
        do {
            summary = try BackupSummary(json: reply)
            try target.receive(summary, from: client)
        } catch {
            target.discard()
            Output.error("\(error)")
            throw ExitCode(error is LocalFileError ? ExitStatus.localFile : ExitStatus.unavailable)
        }
        if options.json {
            var object = reply.objectValue ?? [:]
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
