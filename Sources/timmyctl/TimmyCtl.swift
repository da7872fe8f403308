import ArgumentParser
import Protocol

@main
struct TimmyCtl: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "timmyctl",
        abstract: "Buy and manage timmyd nodes from the command line.",
        discussion: """
            Exit codes: 0 success; 1 the daemon answered with an error; 3 the job ended \
            without a ready node; 4 no access token is stored for that job; 5 a local file \
            problem; 64 bad usage; 69 timmyd cannot be reached.
            """,
        version: TimmyVersion.string,
        // Each subcommand names itself (`commandName:`): otherwise argument-parser derives
        // every name with String(describing:) at each start, whose protocol conformance
        // scans were half of timmyctl's start-up (measured with callgrind).
        subcommands: [
            Info.self, New.self, Status.self, Watch.self, ClaimKey.self, ConfirmKey.self, Cancel.self, Refund.self,
            Jobs.self, Job.self, Stats.self, SimulatePayment.self, Retry.self, Destroy.self, Reconcile.self,
            Backup.self, Events.self,
            RenderUserData.self, Call.self,
        ])

    // Declared here as well as on each subcommand: the root's parse takes them from
    // anywhere on the line (`timmyctl --json info` and `timmyctl info --json`), and each
    // subcommand's @OptionGroup then reuses this parsed value (and lists them in its help).
    @OptionGroup var options: GlobalOptions
}

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: "timmyd's socket (default: $TIMMY_SOCKET or \(RPCClient.defaultSocketPath)).")
    var socket: String?

    @Flag(name: .long, help: "Print the daemon's JSON reply instead of text.")
    var json = false

    var socketPath: String { socket ?? Environment.value("TIMMY_SOCKET") ?? RPCClient.defaultSocketPath }

    func connect() throws -> RPCClient {
        do {
            return try RPCClient(socketPath: socketPath)
        } catch {
            Output.error("\(error)")
            throw ExitCode(ExitStatus.unavailable)
        }
    }

    /// Calls a method, turning failures into a message on stderr and a meaningful exit code.
    /// The typed result and the raw reply (printed as it came with --json).
    func call<Params, Result>(_ client: RPCClient, _ method: RPCMethod<Params, Result>, _ params: Params) throws -> RPCReply<Result> {
        try Self.reporting { try client.reply(method, params) }
    }

    func call<Result>(_ client: RPCClient, _ method: RPCMethod<NoParams, Result>) throws -> RPCReply<Result> {
        try call(client, method, NoParams())
    }

    static func call(_ client: RPCClient, _ method: String, _ params: JSONValue?) throws -> JSONValue {
        try reporting { try client.call(method, params) }
    }

    private static func reporting<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as JSONRPCError {
            Output.error(error.message + (error.reason.map { " [\($0)]" } ?? ""))
            throw ExitCode(ExitStatus.daemonError)
        } catch {
            Output.error("\(error)")
            throw ExitCode(ExitStatus.unavailable)
        }
    }
}

/// Exit codes scripts can rely on (also listed in `timmyctl --help`).
enum ExitStatus {
    static let daemonError: Int32 = 1
    static let jobNotReady: Int32 = 3
    static let noToken: Int32 = 4
    static let localFile: Int32 = 5
    static let unavailable: Int32 = 69
}
