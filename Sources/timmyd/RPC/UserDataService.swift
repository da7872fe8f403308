import Protocol

/// `admin.userData.render`: shows operators exactly what a buyer's node runs.
///
/// The preview is rendered from the same template as a real job's, with a fixed
/// example name and a placeholder in place of the one-off Tailscale key. It reads
/// only the plan's volume size and the node images from the configuration, never a secret.
struct UserDataService: Sendable {
    let configuration: DaemonConfiguration

    func render(_ request: UserDataRenderParams, _ caller: Caller) async throws -> UserDataRenderResult {
        let script = try Self.preview(
            volumeGB: request.volumeGb ?? configuration.plan.volumeSizeGB, tailscale: request.tailscale,
            images: configuration.nodeImages)
        return UserDataRenderResult(
            userData: script, bytes: Int64(script.utf8.count), sha256: SHA256Digest.hex(Array(script.utf8)))
    }

    /// The preview script, or `invalid_params` naming the field that was refused.
    static func preview(volumeGB: Int64, tailscale: Bool, images: NodeImages = .pinned) throws(JSONRPCError) -> String {
        let inputs = NodeUserDataInputs(
            resourceName: UserDataRenderer.previewResourceName, volumeSizeGB: volumeGB,
            tailscaleAuthKey: tailscale ? UserDataRenderer.placeholderTailscaleKey : nil, images: images)
        do {
            return try UserDataRenderer.render(inputs)
        } catch {
            throw .invalidParams(error.message, field: error.field)
        }
    }
}
