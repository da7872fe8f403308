import Foundation
import Protocol
import Testing

/// A real LNbits (FakeWallet backend) on a free loopback port, started with the
/// shared `lnbits-up.sh` that sits beside the repository (`../shared/lnbits/`).
final class LNbitsServer {
    /// The repository root, found from this file's place in it.
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let scripts = repositoryRoot.deletingLastPathComponent().appendingPathComponent("shared/lnbits").standardized.path
    static var upScript: String { scripts + "/lnbits-up.sh" }
    static var payScript: String { scripts + "/lnbits-pay.sh" }

    let directory: String
    let port: Int
    private(set) var values: [String: String] = [:]
    private(set) var running = false

    var url: String { "http://127.0.0.1:\(port)" }
    var invoiceKey: String { values["LNBITS_INVOICE_KEY"] ?? "" }
    /// The merchant wallet's admin key: what timmyd pays refunds with.
    var adminKey: String { values["LNBITS_ADMIN_KEY"] ?? "" }
    var envFile: String { directory + "/lnbits.env" }

    /// Starts a fresh LNbits; throws `LNbitsUnavailable` when lnbits cannot be installed here.
    init() throws {
        let base = FileManager.default.fileExists(atPath: "/dev/shm") ? "/dev/shm" : NSTemporaryDirectory()
        var template = Array((base + "/timmyd-lnbits-XXXXXX").utf8CString)
        guard mkdtemp(&template) != nil else { throw HarnessError("mkdtemp failed") }
        directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        port = try Self.freePort()
        try start()
    }

    deinit {
        stop()
        try? FileManager.default.removeItem(atPath: directory)
    }

    /// (Re)starts a fresh server with the same folder and port.
    func start() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.upScript) else {
            let why = "\(Self.upScript) is missing: the shared lnbits scripts must sit beside the repository"
            // CI always has them, so there their absence is a failure; elsewhere the tests skip and say why.
            if ProcessInfo.processInfo.environment["CI"] == "true" { throw HarnessError(why) }
            throw LNbitsUnavailable(description: why)
        }
        let result = try Self.spawnAndWait(
            Self.upScript, [directory, String(port)],
            environment: Self.passThrough.merging(["LNBITS_FRESH": "1"]) { _, new in new })
        guard result.status == 0 else {
            if !Self.installed, result.stderr.contains("installing lnbits") {
                throw LNbitsUnavailable(description: "lnbits could not be installed (no network to PyPI?): \(result.stderr.suffix(800))")
            }
            throw HarnessError("lnbits-up.sh failed (\(result.status)): \(result.stderr.suffix(2000))")
        }
        values = [:]
        for line in result.stdout.split(separator: "\n") {
            guard let equals = line.firstIndex(of: "=") else { continue }
            values[String(line[..<equals])] = String(line[line.index(after: equals)...])
        }
        guard values["LNBITS_INVOICE_KEY"] != nil, values["PAYER_ADMIN_KEY"] != nil else {
            throw HarnessError("lnbits-up.sh printed no keys")
        }
        running = true
    }

    func stop() {
        guard running else { return }
        running = false
        _ = try? Self.spawnAndWait(Self.upScript, ["--stop", directory], environment: Self.passThrough)
    }

    /// Pays an invoice from the payer wallet.
    func pay(_ bolt11: String) throws -> CommandResult {
        try Self.spawnAndWait(Self.payScript, [bolt11], environment: Self.passThrough.merging(["LNBITS_ENV_FILE": envFile]) { _, new in new })
    }

    /// An invoice made by the payer's wallet (what a buyer submits for a refund).
    func payerInvoice(sats: Int, expirySeconds: Int = 3600, memo: String = "refund") throws -> (bolt11: String, paymentHash: String) {
        let body: JSONValue = ["out": false, "amount": .int(Int64(sats)), "memo": .string(memo), "expiry": .int(Int64(expirySeconds))]
        let reply = try payerAPI("POST", "/api/v1/payments", key: "PAYER_INVOICE_KEY", body: body)
        guard let bolt11 = reply["bolt11"]?.stringValue ?? reply["payment_request"]?.stringValue,
            let hash = reply["payment_hash"]?.stringValue
        else { throw HarnessError("LNbits made no invoice: \(reply.serialized())") }
        return (bolt11, hash)
    }

    /// The payer wallet's balance in msat.
    func payerBalanceMsat() throws -> Int64 {
        guard let balance = try payerAPI("GET", "/api/v1/wallet", key: "PAYER_INVOICE_KEY")["balance"]?.intValue else {
            throw HarnessError("no payer balance")
        }
        return balance
    }

    private func payerAPI(_ method: String, _ path: String, key: String, body: JSONValue? = nil) throws -> JSONValue {
        var arguments = ["-sS", "--max-time", "10", "-X", method, url + path, "-H", "X-Api-Key: \(values[key] ?? "")"]
        if let body { arguments += ["-H", "Content-Type: application/json", "--data-binary", body.serialized()] }
        let result = try runProgram("/usr/bin/curl", arguments)
        guard result.status == 0 else { throw HarnessError("curl \(path): \(result.stderr)") }
        return try JSONValue.parse(Array(result.stdout.utf8))
    }

    /// The test process's whole environment: `lnbits-up.sh` finds its cached venv
    /// through HOME (or LNBITS_VENV, XDG_CACHE_HOME), and pip its index, proxy and
    /// certificates through theirs. The server itself starts from `env -i`. A
    /// developer's own LNBITS_URL or keys are left out: they would win over this server's.
    private static let passThrough: [String: String] = ProcessInfo.processInfo.environment.filter { name, _ in
        let keep: Set = ["LNBITS_VENV", "LNBITS_PYTHON", "LNBITS_VERSION", "LNBITS_START_TIMEOUT"]
        return keep.contains(name) || !(name.hasPrefix("LNBITS_") || name.hasPrefix("PAYER_"))
    }

    private static var installed: Bool {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["XDG_CACHE_HOME"] ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.cache")
        let venv = environment["LNBITS_VENV"] ?? (cache + "/timmy-lnbits/venv")
        return FileManager.default.fileExists(atPath: venv + "/bin/lnbits")
    }

    /// Runs a script to completion with output in files, not pipes: the server it
    /// leaves behind must hold none of this process's pipes, and must not inherit
    /// its blocked signals (the test process blocks SIGTERM), or `--stop` could not
    /// end it. Foundation's `Process` offers neither, and missed this child's exit.
    static func spawnAndWait(_ path: String, _ arguments: [String], environment: [String: String]) throws -> CommandResult {
        let outPath = NSTemporaryDirectory() + "/lnbits-script-\(UUID().uuidString)"
        defer {
            unlink(outPath + ".out")
            unlink(outPath + ".err")
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outPath + ".out", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, outPath + ".err", O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        // glibc 2.34+ has posix_spawn_file_actions_addclosefrom_np; Swift's Glibc module does not show it.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") {
            _ = unsafeBitCast(symbol, to: CloseFrom.self)(&actions, 3)
        }
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        for signal in [SIGTERM, SIGINT, SIGHUP, SIGPIPE, SIGCHLD] { sigaddset(&defaults, signal) }
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))

        var env = ["PATH": "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin", "LANG": "C.UTF-8"]
        env.merge(environment) { _, new in new }
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        let envp = env.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            envp.forEach { free($0) }
        }
        var pid = pid_t()
        let spawned = posix_spawn(&pid, path, &actions, &attributes, argv, envp)
        guard spawned == 0 else { throw HarnessError("posix_spawn \(path) failed: \(spawned)") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 {
            guard errno == EINTR else { throw HarnessError("waitpid failed: \(errno)") }
        }
        let exitStatus = (status & 0x7f) == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return CommandResult(
            status: exitStatus,
            stdout: (try? String(contentsOfFile: outPath + ".out", encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: outPath + ".err", encoding: .utf8)) ?? "")
    }

    /// A loopback port nobody is listening on right now.
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw HarnessError("socket failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw HarnessError("bind failed") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

/// lnbits cannot be installed on this machine (no network to PyPI): the tests that need it skip.
struct LNbitsUnavailable: Error, CustomStringConvertible {
    let description: String
}

extension LNbitsServer {
    /// A started server, or the test is cancelled (skipped) when lnbits cannot be installed.
    static func startOrSkip() throws -> LNbitsServer {
        do {
            return try LNbitsServer()
        } catch let error as LNbitsUnavailable {
            try Test.cancel("skipped: \(error.description)")
        }
    }
}
