import Foundation
import Testing

/// `Tests/NodeSim/run-node-sim.sh`: runs a node's user_data in a simulated droplet
/// (a namespaced Debian 12 root filesystem, a real blank volume, stand-ins and
/// fakes for what cannot run here) and checks what it built.
enum NodeSimulator {
    static let script = LNbitsServer.repositoryRoot.appendingPathComponent("Tests/NodeSim/run-node-sim.sh").path

    /// The harness's verdict: its exit status (0 every check passed, 1 a check
    /// failed, 2 the harness itself could not run) and its report, one line a check.
    struct Verdict {
        var status: Int32
        var report: String

        func line(_ check: String) -> String? {
            report.split(separator: "\n").first { $0.dropFirst(5).hasPrefix(check) }.map(String.init)
        }
    }

    /// Skips the test (fails it under CI) where the sim cannot run: it needs root.
    static func requireRoot() throws {
        guard getuid() != 0 else { return }
        let why = "the simulated droplet needs root (loop device, namespaces, chroot)"
        if ProcessInfo.processInfo.environment["CI"] == "true" { throw HarnessError(why) }
        try Test.cancel("skipped: \(why)")
    }

    /// Runs the harness on `userData` with the operator's `secrets`, which must appear nowhere on the node.
    static func run(userData: String, secrets: [String], folder: String, arguments: [String] = []) throws -> Verdict {
        let scriptPath = folder + "/user-data.sh"
        let secretsPath = folder + "/operator-secrets"
        try userData.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        try (secrets.joined(separator: "\n") + "\n").write(toFile: secretsPath, atomically: true, encoding: .utf8)
        chmod(secretsPath, 0o600)
        // The root filesystem is cached under the real home folder (runProgram's default HOME is a temporary one).
        let home = ProcessInfo.processInfo.environment["HOME"] ?? "/root"
        let result = try runProgram(
            "/bin/bash", [script, scriptPath, "--secrets", secretsPath] + arguments,
            environment: ["HOME": home, "NODE_SIM_CACHE_DIR": home + "/.cache/timmy-node-sim"])
        return Verdict(status: result.status, report: result.stdout + result.stderr)
    }
}
