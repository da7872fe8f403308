import Foundation

/// The unprivileged second uid tests run clients as (root is needed to switch to it).
extension DaemonHarness {
    static let nobody: UInt32 = 65534

    /// Runs `timmyctl` as `nobody` (uid and gid 65534, no other groups), with a home
    /// of its own under the test folder (so its token file is its own).
    func ctlAsNobody(_ arguments: [String]) throws -> CommandResult {
        let home = folder + "/nobody-home"
        try? FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
        chown(home, Self.nobody, Self.nobody)
        chmod(home, 0o700)
        let binary = folder + "/timmyctl"
        if !FileManager.default.fileExists(atPath: binary) {
            try FileManager.default.copyItem(atPath: Binaries.timmyctl, toPath: binary)
            chmod(binary, 0o755)
        }
        return try runProgram(
            "/usr/bin/setpriv",
            ["--reuid=\(Self.nobody)", "--regid=\(Self.nobody)", "--clear-groups", binary] + arguments,
            environment: ["TIMMY_SOCKET": socketPath, "HOME": home])
    }
}
