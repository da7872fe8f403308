#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Protocol
import QRCode

/// The job id and where its token comes from, shared by the buyer commands.
struct JobArgument: ParsableArguments {
    @Argument(help: "The job id printed by `timmyctl new`.")
    var job: String

    /// Default: the token `timmyctl new` saved.
    @OptionGroup var token: TokenOptions

    func credentials() throws -> JobCredentials {
        guard let token = try token.resolve(for: job) else {
            Output.error("no access token stored for job \(job); pass --token-file or --token-stdin")
            throw ExitCode(ExitStatus.noToken)
        }
        return JobCredentials(jobId: job, accessToken: token)
    }
}

struct New: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new", abstract: "Start a purchase: prints the Lightning invoice to pay.")

    @OptionGroup var options: GlobalOptions

    @Option(help: "A note for the operator.")
    var label: String?

    @Option(help: "Use your own OpenSSH public key (a .pub file); then no private key is made.")
    var sshPublicKey: String?

    @Option(
        name: .customLong("tailscale-auth-key-file"),
        help: "Join your own tailnet: a file holding your Tailscale auth key (tskey-auth-…); read from a file so it stays out of ps and shell history.")
    var tailscaleAuthKeyFile: String?

    @Flag(help: "Wait for payment and provisioning, showing progress.")
    var wait = false

    @Option(help: "With --wait: write the node's SSH private key to this new file (mode 0600).")
    var keyOut: String?

    @Flag(name: .customLong("no-qr"), help: "Do not draw the invoice as a QR code (drawn only when stdout is a terminal).")
    var noQR = false

    func validate() throws {
        if keyOut != nil && !wait { throw ValidationError("--key-out needs --wait") }
        if keyOut != nil && sshPublicKey != nil { throw ValidationError("--key-out makes no sense with --ssh-public-key") }
    }

    func run() throws {
        let publicKey = try sshPublicKey.map(LocalFiles.readTrimmed)
        let tailscaleAuthKey = try tailscaleAuthKeyFile.map(LocalFiles.readTrimmed)
        // Know where the token will be kept before buying: without a private place
        // for it, stop here, having changed nothing.
        let tokens: TokenStore
        do {
            tokens = try TokenStore.forCurrentUser()
            try tokens.prepare()
        } catch {
            Output.error("\(error)")
            throw ExitCode(ExitStatus.localFile)
        }
        // Create the key file first: a file that cannot be made is found before anything is bought.
        let keyFile = try keyOut.map { path in
            do { return try KeyFile(creating: path) } catch {
                Output.error("\(error)")
                throw ExitCode(ExitStatus.localFile)
            }
        }
        let client = try options.connect()
        let created: CreateJobResult
        do {
            created = try options.call(
                client, RPCMethods.create,
                CreateJobParams(label: label, sshPublicKey: publicKey, tailscaleAuthKey: tailscaleAuthKey)
            ).result
        } catch {
            keyFile?.discard()
            throw error
        }
        do {
            try tokens.save(token: created.accessToken, for: created.jobId)
        } catch {
            Output.error("\(error); keep this token: \(created.accessToken)")
        }
        if options.json {
            Output.json(created.json)
        } else {
            Output.line("job:      \(created.jobId)")
            Output.line("amount:   \(created.invoice.amountSats) sats")
            Output.line("expires:  \(created.invoice.expiresAt)")
            Output.line("invoice:  \(created.invoice.paymentRequest)")
            // Only for a person at a terminal: a pipe or a file gets the plain lines above.
            if !noQR, isatty(1) == 1, let code = try? QRCode(encoding: QRCode.lightningPayload(invoice: created.invoice.paymentRequest)) {
                Output.raw(code.terminalText())
            }
            if created.invoice.paymentRequest.hasPrefix("lnstub") {
                Output.line("(stub payments: pay it with `timmyctl simulate-payment \(created.jobId)`)")
            }
        }
        guard wait else { return }
        let credentials = JobCredentials(jobId: created.jobId, accessToken: created.accessToken)
        // The key is claimed as soon as the machine is up; the node's setup is followed after that.
        let ready = try WatchLoop.follow(client: client, credentials: credentials, options: options) { $0.state.isSettled }
        guard ready.state == .ready else {
            keyFile?.discard()
            throw ExitCode(ExitStatus.jobNotReady)
        }
        if let keyFile {
            try ClaimKey.claim(client: client, credentials: credentials, into: keyFile, options: options)
        }
        let final = try WatchLoop.followOn(client: client, from: ready, options: options)
        if final.node?.setup?.hasFailed == true { throw ExitCode(ExitStatus.jobNotReady) }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "status", abstract: "Show where a job stands.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var job: JobArgument

    func run() throws {
        let client = try options.connect()
        let reply = try options.call(client, RPCMethods.status, try job.credentials())
        if options.json { Output.json(reply.raw) } else { Output.status(reply.result) }
    }
}

struct Watch: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch", abstract: "Follow a job until it is ready or ends; exits 3 if it ends without a node.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var job: JobArgument

    func run() throws {
        let client = try options.connect()
        let final = try WatchLoop.follow(client: client, credentials: try job.credentials(), options: options)
        if final.state != .ready || final.node?.setup?.hasFailed == true { throw ExitCode(ExitStatus.jobNotReady) }
    }
}

/// Prints the status now, then each change, until the job is final: settled, and for a
/// node that reports its setup, that setup complete or failed.
enum WatchLoop {
    static func follow(
        client: RPCClient, credentials: JobCredentials, options: GlobalOptions,
        until done: (JobStatus) -> Bool = { $0.isFinal }
    ) throws -> JobStatus {
        let status = try options.call(client, RPCMethods.watch, credentials).result
        show(status, previous: nil, options: options)
        return try followOn(client: client, from: status, options: options, until: done)
    }

    /// Goes on reading the watch's notifications after `status` was shown.
    static func followOn(
        client: RPCClient, from start: JobStatus, options: GlobalOptions, until done: (JobStatus) -> Bool = { $0.isFinal }
    ) throws -> JobStatus {
        var status = start
        while !done(status) {
            guard let params = try client.nextNotification(MethodName.changedNotification) else {
                Output.error("timmyd closed the connection before the job settled")
                throw ExitCode(ExitStatus.unavailable)
            }
            let previous = status
            status = try JobStatus(json: params)
            show(status, previous: previous, options: options)
        }
        return status
    }

    private static func show(_ status: JobStatus, previous: JobStatus?, options: GlobalOptions) {
        if options.json {
            Output.line(status.json.serialized())
        } else {
            let phase = status.phase.map { "/\($0)" } ?? ""
            Output.line("[\(status.state.rawValue)\(phase)] \(status.message)")
            // The whole picture once when the machine is up, and again if its setup fails.
            let justReady = status.state == .ready && previous?.state != .ready
            let justFailed = status.node?.setup?.hasFailed == true && previous?.node?.setup?.hasFailed != true
            if justReady || justFailed { Output.status(status) }
        }
    }
}

struct ClaimKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "claim-key",
        abstract: "Download the node's SSH private key into a new file, then confirm receipt so timmyd wipes its copy.",
        discussion: "Until receipt is confirmed (or the confirmation window after the first claim ends) the same "
            + "key can be claimed again: a download that did not arrive is not lost.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var job: JobArgument

    @Option(help: "A new file for the key (created with mode 0600; must not exist).")
    var out: String

    func run() throws {
        let credentials = try job.credentials()
        let keyFile: KeyFile
        do { keyFile = try KeyFile(creating: out) } catch {
            Output.error("\(error)")
            throw ExitCode(ExitStatus.localFile)
        }
        let client: RPCClient
        do { client = try options.connect() } catch {
            keyFile.discard()
            throw error
        }
        try Self.claim(client: client, credentials: credentials, into: keyFile, options: options)
    }

    /// Claims the key, saves it, checks the saved file's fingerprint, and only then
    /// confirms receipt. Any failure before the confirmation leaves the key claimable.
    static func claim(client: RPCClient, credentials: JobCredentials, into keyFile: KeyFile, options: GlobalOptions) throws {
        let result: ClaimKeyResult
        do {
            result = try options.call(client, RPCMethods.claimKey, credentials).result
        } catch {
            keyFile.discard()
            throw error
        }
        let saved: String
        do {
            try keyFile.write(result.sshPrivateKey)
            saved = try keyFile.readBack()
        } catch {
            keyFile.discard()
            Output.error("\(error); receipt not confirmed: claim the key again before \(result.confirmBy)")
            throw ExitCode(ExitStatus.localFile)
        }
        guard SSHKeyFileFingerprint.of(privateKeyFile: saved) == result.sshKeyFingerprint else {
            keyFile.discard()
            Output.error(
                "the saved file's key does not match fingerprint \(result.sshKeyFingerprint); receipt not confirmed: "
                    + "claim the key again before \(result.confirmBy)")
            throw ExitCode(ExitStatus.localFile)
        }
        let confirmed = ConfirmKey.confirm(
            client: client, credentials: credentials, fingerprint: result.sshKeyFingerprint, options: options)
        if options.json {
            Output.json([
                "path": .string(keyFile.path), "sshPublicKey": .string(result.sshPublicKey),
                "sshKeyFingerprint": .string(result.sshKeyFingerprint), "confirmed": .bool(confirmed),
                "confirmBy": .string(result.confirmBy),
            ])
        } else {
            Output.line("SSH private key written to \(keyFile.path) (\(result.sshKeyFingerprint)).")
            if confirmed {
                Output.line("Receipt confirmed: timmyd no longer holds the key. Keep this file safe.")
            } else {
                Output.line("Receipt NOT confirmed: timmyd wipes its copy at \(result.confirmBy) anyway.")
            }
        }
    }
}

struct ConfirmKey: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "confirm-key",
        abstract: "Tell timmyd you saved the node's SSH private key (from this file), so it wipes its copy now.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var job: JobArgument

    @Option(help: "The private key file you saved.")
    var key: String

    func run() throws {
        let credentials = try job.credentials()
        guard let text = LocalFiles.read(key), let fingerprint = SSHKeyFileFingerprint.of(privateKeyFile: text) else {
            Output.error("cannot read an unencrypted OpenSSH or RSA private key from \(key)")
            throw ExitCode(ExitStatus.localFile)
        }
        let client = try options.connect()
        let reply = try options.call(
            client, RPCMethods.confirmKey, Self.params(credentials: credentials, fingerprint: fingerprint))
        if options.json {
            Output.json(reply.raw)
        } else {
            Output.line("Receipt of \(fingerprint) confirmed: timmyd no longer holds the key.")
        }
    }

    static func params(credentials: JobCredentials, fingerprint: String) -> ConfirmKeyParams {
        ConfirmKeyParams(jobId: credentials.jobId, accessToken: credentials.accessToken, sshKeyFingerprint: fingerprint)
    }

    /// Confirms receipt; a failure is reported on stderr and returns false (the key is
    /// saved already; timmyd then wipes it when the confirmation window ends).
    static func confirm(client: RPCClient, credentials: JobCredentials, fingerprint: String, options: GlobalOptions) -> Bool {
        do {
            _ = try options.call(client, RPCMethods.confirmKey, params(credentials: credentials, fingerprint: fingerprint))
            return true
        } catch {
            Output.error("receipt of the key was not confirmed (see above)")
            return false
        }
    }
}

struct Cancel: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cancel", abstract: "Cancel a job that is not paid yet.")

    @OptionGroup var options: GlobalOptions
    @OptionGroup var job: JobArgument

    func run() throws {
        let client = try options.connect()
        let reply = try options.call(client, RPCMethods.cancel, try job.credentials())
        if options.json { Output.json(reply.raw) } else { Output.status(reply.result) }
    }
}

struct Refund: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refund", abstract: "Ask for a paid job that failed to be refunded to a Lightning invoice.",
        discussion: "The invoice must be for at most the amount paid. Without a stored or given token, "
            + "an admin refunds any job (admin.jobs.refund). With stub payments, a refund invoice is "
            + "any text `lnstubrefund<sats>sat…`, e.g. lnstubrefund1000sat1demo.")

    @OptionGroup var options: GlobalOptions

    @Argument(help: "The job id printed by `timmyctl new`.")
    var job: String

    @Argument(help: "Your Lightning invoice (bolt11) for the refund.")
    var bolt11: String

    /// Default: the token `timmyctl new` saved.
    @OptionGroup var token: TokenOptions

    @Flag(help: "Refund as the operator, without the job's token.")
    var admin = false

    func run() throws {
        let storedToken = admin ? nil : try token.resolve(for: job)
        let client = try options.connect()
        let reply: RPCReply<JobStatus>
        if let storedToken {
            reply = try options.call(
                client, RPCMethods.refund, RefundParams(jobId: job, accessToken: storedToken, bolt11: bolt11))
        } else {
            reply = try options.call(client, RPCMethods.jobsRefund, AdminRefundParams(jobId: job, bolt11: bolt11))
        }
        if options.json { Output.json(reply.raw) } else { Output.status(reply.result) }
    }
}

enum LocalFiles {
    /// A small file's text without surrounding blank space (an editor's final newline);
    /// one that cannot be read ends the command with the local-file exit code.
    static func readTrimmed(_ path: String) throws -> String {
        guard let text = read(path) else {
            Output.error("cannot read \(path)")
            throw ExitCode(ExitStatus.localFile)
        }
        return text.trimmingCharacters(in: "\n\r \t")
    }

    static func read(_ path: String) -> String? {
        guard let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = fread(&buffer, 1, buffer.count, file)
            if count == 0 { break }
            bytes += buffer[0..<count]
            if bytes.count > 1 << 20 { return nil }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
