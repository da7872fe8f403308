/// Seals buyers' SSH private keys for storage: AES-256-GCM under the master key,
/// bound to the job id (as associated data) so a sealed key moved to another
/// job's row does not open.
struct KeyVault: Sendable {
    let box: SecretBox

    func seal(privateKey: String, jobID: String) throws -> [UInt8] {
        try box.seal(Array(privateKey.utf8), associatedData: Array(jobID.utf8))
    }

    func open(_ sealed: [UInt8], jobID: String) throws -> String {
        String(decoding: try box.open(sealed, associatedData: Array(jobID.utf8)), as: UTF8.self)
    }
}
