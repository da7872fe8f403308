import Foundation

/// A second, unprivileged uid for tests that attack the daemon or the CLI as
/// another local user: `nobody` (uid and gid 65534, no other groups), via `setpriv`.
enum Nobody {
    static let uid: UInt32 = 65534
    static var available: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") }
}

extension DaemonHarness {
    /// A home folder owned by `nobody` (0700) inside the test folder.
    func nobodyHome() -> String {
        let home = folder + "/nobody-home"
        try? FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        chown(home, Nobody.uid, Nobody.uid)
        chmod(home, 0o700)
        return home
    }

    /// Runs `timmyctl` as `nobody` against this daemon, with `nobodyHome()` as HOME.
    /// The binary is copied into the test folder, which `nobody` can reach.
    func ctlAsNobody(_ arguments: [String], environment extra: [String: String] = [:], stdin: String? = nil) throws
        -> CommandResult
    {
        let binary = folder + "/timmyctl"
        if !FileManager.default.fileExists(atPath: binary) {
            try FileManager.default.copyItem(atPath: Binaries.timmyctl, toPath: binary)
            chmod(binary, 0o755)
        }
        return try runProgram(
            "/usr/bin/setpriv",
            ["--reuid=\(Nobody.uid)", "--regid=\(Nobody.uid)", "--clear-groups", binary] + arguments,
            environment: ["TIMMY_SOCKET": socketPath, "HOME": nobodyHome()].merging(extra) { _, new in new }, stdin: stdin)
    }
}
