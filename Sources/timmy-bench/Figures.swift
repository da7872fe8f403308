#if canImport(Glibc)
import Glibc
#endif

/// The measurements; each is run against the daemon and against its baseline with the same code.
enum Figures {
    /// Sequential request/reply round trips on one connection.
    static func latency(socketPath: String, request: [UInt8], warmup: Int, count: Int) throws(BenchError) -> Samples {
        let client = try BlockingLineClient(socketPath: socketPath)
        for _ in 0..<warmup { _ = try client.roundTrip(request) }
        var samples = Samples()
        for _ in 0..<count { samples.append(try client.roundTrip(request)) }
        return samples
    }

    /// Requests per second over `connections` connections, each keeping `depth` requests
    /// in flight (sent in one write, then all replies read), for about `seconds`.
    static func throughput(
        socketPath: String, request: [UInt8], connections: Int, depth: Int, seconds: Double
    ) throws(BenchError) -> Double {
        let window = Array([[UInt8]](repeating: request, count: depth).joined())
        let clients = try (0..<connections).map { _ throws(BenchError) in try BlockingLineClient(socketPath: socketPath) }
        for client in clients {
            try client.send(window)
            try client.readLines(depth)
        }
        let results = ResultBox(count: connections)
        let deadline = monotonicNanoseconds() + UInt64(seconds * 1e9)
        let start = monotonicNanoseconds()
        let threads = clients.enumerated().map { index, client in
            PlainThread.start {
                var done = 0
                do {
                    while monotonicNanoseconds() < deadline {
                        try client.send(window)
                        try client.readLines(depth)
                        done += depth
                    }
                } catch {
                    results.fail(error)
                }
                results.set(index, done)
            }
        }
        threads.forEach { $0.join() }
        let elapsed = Double(monotonicNanoseconds() - start) / 1e9
        if let error = results.error { throw error }
        return Double(results.total) / elapsed
    }

    /// Wall time of one-shot commands, spawned alternately so both see the same machine.
    static func commandPair(
        _ first: (path: String, arguments: [String], stdin: String),
        _ second: (path: String, arguments: [String], stdin: String),
        environment: [String: String], count: Int
    ) throws(BenchError) -> (Samples, Samples) {
        var a = Samples()
        var b = Samples()
        for _ in 0..<2 {
            _ = try ChildProcess.timedRun(first.path, first.arguments, environment: environment, stdinPath: first.stdin)
            _ = try ChildProcess.timedRun(second.path, second.arguments, environment: environment, stdinPath: second.stdin)
        }
        for _ in 0..<count {
            a.append(try ChildProcess.timedRun(first.path, first.arguments, environment: environment, stdinPath: first.stdin))
            b.append(try ChildProcess.timedRun(second.path, second.arguments, environment: environment, stdinPath: second.stdin))
        }
        return (a, b)
    }
}

/// Per-thread counts from the throughput clients.
private final class ResultBox: @unchecked Sendable {
    private var lock = pthread_mutex_t()
    private var counts: [Int]
    private(set) var error: BenchError?

    init(count: Int) {
        counts = Array(repeating: 0, count: count)
        pthread_mutex_init(&lock, nil)
    }

    func set(_ index: Int, _ value: Int) {
        pthread_mutex_lock(&lock)
        counts[index] = value
        pthread_mutex_unlock(&lock)
    }

    func fail(_ error: Error) {
        pthread_mutex_lock(&lock)
        self.error = error as? BenchError ?? BenchError("\(error)")
        pthread_mutex_unlock(&lock)
    }

    var total: Int {
        pthread_mutex_lock(&lock)
        defer { pthread_mutex_unlock(&lock) }
        return counts.reduce(0, +)
    }
}
