#if canImport(Glibc)
import Glibc
#endif
import Protocol

/// `timmy-bench`: starts the real timmyd (built next to it) with stub backends and
/// prints each figure beside a baseline measured in the same run, with the target.
///
///     swift build -c release && .build/release/timmy-bench [--quick]
///
/// `--quick` uses tiny counts: it shows the program runs (CI), not how fast anything is.
@main
struct TimmyBench {
    struct Settings {
        var quick = false
        var directory = TimmyBench.ownDirectory()
        var latencyCount = 20_000
        var latencyWarmup = 2_000
        var throughputRounds = 3
        var throughputSeconds = 2.0
        var createCount = 300
        var commandCount = 40
        var watchConnections = 40
        var watchesPerConnection = 25

        mutating func makeQuick() {
            quick = true
            latencyCount = 200
            latencyWarmup = 20
            throughputRounds = 1
            throughputSeconds = 0.2
            createCount = 10
            commandCount = 3
            watchConnections = 4
            watchesPerConnection = 5
        }
    }

    static func main() {
        var settings = Settings()
        var arguments = CommandLine.arguments.dropFirst()
        while let argument = arguments.popFirst() {
            switch argument {
            case "--quick": settings.makeQuick()
            case "--bin-dir":
                guard let value = arguments.popFirst() else { fail("--bin-dir needs a folder") }
                settings.directory = value
            case "-h", "--help":
                print("usage: timmy-bench [--quick] [--bin-dir FOLDER-WITH-timmyd-AND-timmyctl]")
                return
            default: fail("unknown argument \(argument); try --help")
            }
        }
        // The figures need more descriptors than some shells allow by default.
        var limit = rlimit()
        getrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        limit.rlim_cur = limit.rlim_max
        setrlimit(__rlimit_resource_t(RLIMIT_NOFILE.rawValue), &limit)
        signal(SIGPIPE, SIG_IGN)
        do {
            let table = try run(settings)
            print(table.rendered())
        } catch {
            fail("\(error)")
        }
    }

    static func run(_ settings: Settings) throws(BenchError) -> ResultTable {
        var table = ResultTable()
        let watchers = settings.watchConnections * settings.watchesPerConnection
        let daemon = try DaemonUnderTest(
            executable: settings.directory + "/timmyd",
            environment: [
                "CREATE_RATE_PER_MINUTE": "100000", "MAX_WATCHES_PER_JOB": "\(watchers)",
                "MAX_WATCHES_PER_CONNECTION": "\(settings.watchesPerConnection)",
                "MAX_CONNECTIONS": "\(settings.watchConnections + 64)",
            ])
        defer { daemon.stop() }
        usleep(500_000)
        let idleRSS = daemon.residentKiB ?? 0
        let idleThreads = daemon.threads ?? 0

        // One connection: daemon.info against an echo of the same reply size.
        let probe = try BlockingLineClient(socketPath: daemon.socketPath)
        try probe.send(BenchRequests.daemonInfo(id: 1))
        let replyLength = try probe.readLines(1)
        let echo = try EchoServer(socketPath: daemon.folder + "/echo.sock", replyLength: replyLength)
        defer { echo.stop() }
        let request = BenchRequests.daemonInfo(id: 1)
        let info = try Figures.latency(
            socketPath: daemon.socketPath, request: request, warmup: settings.latencyWarmup, count: settings.latencyCount)
        let echoed = try Figures.latency(
            socketPath: echo.socketPath, request: request, warmup: settings.latencyWarmup, count: settings.latencyCount)
        for (name, fraction) in [("p50", 0.5), ("p90", 0.9), ("p99", 0.99)] {
            table.add(
                "1 conn daemon.info \(name) (µs) vs echo", info.percentile(fraction) / 1e3, echoed.percentile(fraction) / 1e3,
                target: name == "p50" ? .ratioAtMost(2) : nil)
        }

        // Sixteen connections, pipelined.
        var served = Samples()
        var echoRates = Samples()
        for _ in 0..<settings.throughputRounds {
            served.append(UInt64(try Figures.throughput(
                socketPath: daemon.socketPath, request: request, connections: 16, depth: 16,
                seconds: settings.throughputSeconds)))
            echoRates.append(UInt64(try Figures.throughput(
                socketPath: echo.socketPath, request: request, connections: 16, depth: 16,
                seconds: settings.throughputSeconds)))
        }
        table.add("16 conn x16 pipelined req/s vs echo", served.median, echoRates.median, target: .ratioAtLeast(0.5))

        // bootstrap.create against one FULL WAL commit in the same state folder.
        var creates = Samples()
        let creator = try BlockingLineClient(socketPath: daemon.socketPath)
        for index in 0..<settings.createCount {
            creates.append(try creator.roundTrip(BenchRequests.create(id: index)))
        }
        let commits = try CommitBaseline.measure(
            databasePath: daemon.stateDirectory + "/bench-commit.db", count: settings.createCount)
        table.add("bootstrap.create p50 (µs) vs FULL commit", creates.median / 1e3, commits.median / 1e3, target: .ratioAtMost(1.2))

        // timmyctl info against socat sending the same request.
        if let socat = ChildProcess.which("socat") {
            let requestFile = daemon.folder + "/info-request.json"
            let file = fopen(requestFile, "w")
            fputs(String(decoding: request, as: UTF8.self), file)
            fclose(file)
            let (ctl, raw) = try Figures.commandPair(
                (settings.directory + "/timmyctl", ["info"], "/dev/null"),
                (socat, ["-", "UNIX-CONNECT:\(daemon.socketPath)"], requestFile),
                environment: ["PATH": "/usr/bin:/bin", "HOME": daemon.folder, "TIMMY_SOCKET": daemon.socketPath],
                count: settings.commandCount)
            table.add("timmyctl info wall p50 (ms) vs socat", ctl.median / 1e6, raw.median / 1e6, target: .ratioAtMost(1.5))
        } else {
            table.note("timmyctl info vs socat: skipped, socat is not installed")
        }

        // Memory: idle (measured before any load), then with every watcher open.
        table.add("timmyd RSS idle (MiB)", Double(idleRSS) / 1024, nil, target: .valueAtMost(20))
        let watching = try openWatchers(daemon: daemon, settings: settings)
        usleep(200_000)
        let watchRSS = daemon.residentKiB ?? 0
        table.add("timmyd RSS, \(watchers) watchers (MiB)", Double(watchRSS) / 1024, nil, target: .valueAtMost(64))
        table.note("threads: \(idleThreads) idle, \(daemon.threads ?? 0) with \(watchers) watchers")
        withExtendedLifetime(watching) {}
        return table
    }

    /// Creates one job and watches it `watchConnections × watchesPerConnection` times.
    static func openWatchers(daemon: DaemonUnderTest, settings: Settings) throws(BenchError) -> [BlockingLineClient] {
        let creator = try BlockingLineClient(socketPath: daemon.socketPath)
        try creator.send(BenchRequests.create(id: 1))
        let reply = try creator.readLine()
        guard let result = (try? JSONValue.parse(reply))?["result"], let jobId = result["jobId"]?.stringValue,
            let token = result["accessToken"]?.stringValue
        else { throw BenchError("bootstrap.create gave no job") }
        var clients: [BlockingLineClient] = []
        for _ in 0..<settings.watchConnections {
            let client = try BlockingLineClient(socketPath: daemon.socketPath)
            let lines = (0..<settings.watchesPerConnection).map { BenchRequests.watch(id: $0, jobId: jobId, accessToken: token) }
            try client.send(Array(lines.joined()))
            for _ in 0..<settings.watchesPerConnection {
                let line = try client.readLine()
                guard line.contains("\"result\"") else { throw BenchError("bootstrap.watch failed: \(line.prefix(200))") }
            }
            clients.append(client)
        }
        return clients
    }

    static func ownDirectory() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return "." }
        let path = String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return String(path[..<(path.lastIndex(of: "/") ?? path.endIndex)])
    }

    static func fail(_ message: String) -> Never {
        let text = Array("timmy-bench: \(message)\n".utf8)
        _ = text.withUnsafeBytes { write(2, $0.baseAddress, $0.count) }
        exit(1)
    }
}
