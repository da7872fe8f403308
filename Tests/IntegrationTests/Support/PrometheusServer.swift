import Foundation
import Protocol
import Testing

/// A real Prometheus (Debian's package) scraping one test daemon's `METRICS_LISTEN` every
/// second, with its own config, storage folder and loopback port, queried over its HTTP API.
final class PrometheusServer {
    static let binary = "/usr/bin/prometheus"
    static let promtool = "/usr/bin/promtool"

    let folder: String
    let port: Int
    private let process = Process()

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Skips (with the reason printed) only when Prometheus is not installed and this is
    /// not CI; in CI, which installs it (contrib/setup-debian.sh), a missing binary fails.
    static func requireInstalled() throws {
        guard FileManager.default.isExecutableFile(atPath: binary), FileManager.default.isExecutableFile(atPath: promtool)
        else {
            let why = "prometheus is not installed (contrib/setup-debian.sh installs it)"
            if ProcessInfo.processInfo.environment["CI"] == "true" { throw HarnessError(why) }
            print("PrometheusScrapeTests skipped: \(why)")
            try Test.cancel("skipped: \(why)")
        }
    }

    init(scraping target: String, in parent: String) throws {
        try Self.requireInstalled()
        folder = parent + "/prometheus"
        port = try LNbitsServer.freePort()
        try FileManager.default.createDirectory(atPath: folder + "/data", withIntermediateDirectories: true)
        let config = """
            global:
              scrape_interval: 1s
              evaluation_interval: 1s
            scrape_configs:
              - job_name: timmyd
                static_configs:
                  - targets: ['\(target)']

            """
        try config.write(toFile: folder + "/prometheus.yml", atomically: true, encoding: .utf8)
        let checked = try runProgram(Self.promtool, ["check", "config", folder + "/prometheus.yml"])
        guard checked.status == 0 else { throw HarnessError("promtool check config: \(checked.stdout)\(checked.stderr)") }

        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        // The shell appends Prometheus' output to a log and becomes Prometheus (same pid).
        process.arguments = [
            "-c",
            "exec \(Self.binary) --config.file=\(folder)/prometheus.yml --storage.tsdb.path=\(folder)/data "
                + "--web.listen-address=127.0.0.1:\(port) >>\(folder)/prometheus.log 2>&1",
        ]
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline {
            if (try? runProgram("/usr/bin/curl", ["-sf", "-o", "/dev/null", baseURL + "/-/ready"]))?.status == 0 { return }
            guard process.isRunning else { throw HarnessError("prometheus exited: \(log)") }
            usleep(100_000)
        }
        throw HarnessError("prometheus was not ready within 30 s: \(log)")
    }

    deinit {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }

    var log: String { (try? String(contentsOfFile: folder + "/prometheus.log", encoding: .utf8)) ?? "" }

    /// The value of an instant PromQL query whose answer is one sample, nil when it has none.
    func value(of query: String) throws -> Double? {
        let result = try runProgram(
            "/usr/bin/curl", ["-sf", baseURL + "/api/v1/query", "--data-urlencode", "query=\(query)"])
        guard result.status == 0 else { throw HarnessError("query \(query) failed: \(result.stderr)") }
        let reply = try JSONValue.parse(result.stdout)
        guard reply["status"] == "success", let samples = reply["data"]?["result"]?.arrayValue else {
            throw HarnessError("query \(query): \(result.stdout)")
        }
        guard samples.count == 1, let text = samples[0]["value"]?.arrayValue?.last?.stringValue else { return nil }
        return Double(text)
    }

    /// Waits (scrapes come every second) until `query` answers `expected`; the last answer otherwise.
    func waitFor(_ query: String, toEqual expected: Double, timeout: Double = 20) throws -> Double? {
        let deadline = Date().addingTimeInterval(timeout)
        var last: Double?
        while Date() < deadline {
            last = try value(of: query)
            if last == expected { return last }
            usleep(250_000)
        }
        return last
    }
}
