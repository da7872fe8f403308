/// The start-up check of the operator's cloud credentials.
extension DigitalOceanNodeProvider {
    /// One cheap read with each credential. A token the API rejects (401, 403) is a
    /// configuration error: better to refuse to start than to take payments for nodes
    /// that cannot be built. An API that is down only yields a warning (returned).
    func checkCredentials() async throws -> [String] {
        var troubles: [String] = []
        do {
            _ = try await digitalOcean.withoutRetries().sshKey("0")
        } catch let error where [401, 403].contains(error.status ?? 0) {
            throw ConfigurationError("DO_API_TOKEN is not accepted by DigitalOcean at \(digitalOcean.baseURL): \(error)")
        } catch {
            troubles.append("\(error)")
        }
        if let tailscale {
            do {
                _ = try await tailscale.withoutRetries().keys()
            } catch let error {
                if case .api(let status, _) = error, [401, 403].contains(status) {
                    throw ConfigurationError("TAILSCALE_API_KEY is not accepted by Tailscale at \(tailscale.baseURL): \(error)")
                }
                troubles.append("\(error)")
            }
        }
        return troubles
    }
}
