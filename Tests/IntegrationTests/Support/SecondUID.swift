import Foundation

/// The unprivileged second uid tests run clients as (root is needed to switch to it).
extension DaemonHarness {
    static let nobody: UInt32 = 65534

    /// Whether this run can act as `nobody` (it needs root and `setpriv`).
    static var canRunAsNobody: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/setpriv") }

    /// A home folder of `nobody`'s own (0700) under the test folder.
    func nobodyHome() -> String {
        let home = folder + "/nobody-home"
        try? FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        chown(home, Self.nobody, Self.nobody)
        chmod(home, 0o700)
        return home
    }

    /// Runs `timmyctl` as `nobody` (uid and gid 65534, no other groups), with a home
    /// of its own under the test folder (so its token file is its own).
    func ctlAsNobody(_ arguments: [String], environment extra: [String: String] = [:], stdin: String? = nil) throws
        -> CommandResult
    {
        let home = nobodyHome()
        let binary = folder + "/timmyctl"
        if !FileManager.default.fileExists(atPath: binary) {
            try FileManager.default.copyItem(atPath: Binaries.timmyctl, toPath: binary)
            chmod(binary, 0o755)
        }
        return try runProgram(
            "/usr/bin/setpriv",
            ["--reuid=\(Self.nobody)", "--regid=\(Self.nobody)", "--clear-groups", binary] + arguments,
            environment: ["TIMMY_SOCKET": socketPath, "HOME": home].merging(extra) { _, new in new }, stdin: stdin)
    }
}
