import Foundation
import Protocol
import Testing

/// Many connections held open by another uid (`nobody` by default), for the abuse tests:
/// `Support/connection_hog.py` run through `setpriv`. They stay open until `release()`
/// or until the hog is dropped.
final class ConnectionHog {
    struct Summary {
        var held: Int
        var refused: Int
        var failed: Int
        /// The first line of each refusal (or response), with how many got it.
        var answers: [String: Int]
    }

    static let script = LNbitsServer.repositoryRoot.appendingPathComponent("Tests/IntegrationTests/Support/connection_hog.py").path

    private let process = Process()
    private let output: String
    let summary: Summary

    enum Mode {
        case idle
        case events(CreateJobResult)
    }

    /// Opens `count` connections to `daemon` as `uid` and waits until they are set up.
    init(_ daemon: DaemonHarness, count: Int, mode: Mode, uid: UInt32 = 65534, timeout: Double = 60) throws {
        // The hog writes its summary into a folder of its own uid.
        let folder = daemon.folder + "/hog-\(uid)"
        try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        chown(folder, uid, uid)
        output = folder + "/\(UUID().uuidString).json"
        var arguments: [String]
        switch mode {
        case .idle: arguments = ["idle", daemon.socketPath, String(count), output]
        case .events(let job): arguments = ["events", daemon.socketPath, String(count), output, job.jobId, job.accessToken]
        }
        // A copy the other uid can read: the checkout may sit in a folder only its owner can enter.
        let script = daemon.folder + "/connection_hog.py"
        if !FileManager.default.fileExists(atPath: script) {
            try FileManager.default.copyItem(atPath: Self.script, toPath: script)
            chmod(script, 0o644)
        }
        process.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        process.arguments = ["--reuid=\(uid)", "--regid=\(uid)", "--clear-groups", "/usr/bin/python3", script] + arguments
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if let data = FileManager.default.contents(atPath: output), let json = try? JSONValue.parse(Array(data)) {
                var answers: [String: Int] = [:]
                for (line, count) in json["answers"]?.objectValue ?? [:] { answers[line] = Int(count.intValue ?? 0) }
                summary = Summary(
                    held: Int(json["held"]?.intValue ?? 0), refused: Int(json["refused"]?.intValue ?? 0),
                    failed: Int(json["failed"]?.intValue ?? 0), answers: answers)
                return
            }
            guard process.isRunning else { throw HarnessError("the connection hog exited early") }
            usleep(50_000)
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        throw HarnessError("the connection hog did not finish within \(timeout) s")
    }

    /// Closes every connection the hog holds. Call it at the end of a test: it also keeps
    /// the hog (and its connections) alive until then.
    func release() {
        guard process.isRunning else { return }
        // SIGKILL: the test runner's children may inherit SIGTERM ignored.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    deinit { release() }
}
