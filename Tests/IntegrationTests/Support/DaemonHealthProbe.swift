import Foundation
import Protocol
import Testing

/// What every abuse test asserts after its attack: the daemon is alive, root
/// (the test runner) still gets `daemon.info` quickly on a fresh connection,
/// and the daemon's memory stayed bounded.
extension DaemonHarness {
    /// Fails the test unless root's `daemon.info` answers within `budget` seconds
    /// (100 ms by default) on a new connection.
    func expectAdminStillServed(within budget: Double = 0.1, sourceLocation: SourceLocation = #_sourceLocation) {
        let started = Date()
        do {
            _ = try call("daemon.info")
        } catch {
            Issue.record("daemon.info failed after the attack: \(error)", sourceLocation: sourceLocation)
            return
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(elapsed <= budget, "daemon.info took \(Int(elapsed * 1000)) ms", sourceLocation: sourceLocation)
    }

    /// The daemon's resident set size in MiB (VmRSS from /proc), nil if it is not running.
    func residentMiB() -> Double? {
        guard let pid = process?.processIdentifier,
            let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
            let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kib = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) })
        else { return nil }
        return kib / 1024
    }

    /// Fails the test unless the daemon's RSS is at most `limit` MiB.
    func expectResidentAtMost(_ limit: Double, sourceLocation: SourceLocation = #_sourceLocation) {
        guard let rss = residentMiB() else {
            Issue.record("timmyd is not running", sourceLocation: sourceLocation)
            return
        }
        #expect(rss <= limit, "timmyd's RSS is \(Int(rss)) MiB, over \(Int(limit)) MiB", sourceLocation: sourceLocation)
    }
}
