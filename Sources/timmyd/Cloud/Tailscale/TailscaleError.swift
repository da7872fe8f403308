/// What went wrong talking to the Tailscale API. Descriptions carry Tailscale's
/// own `message`, never the API key or an auth key.
enum TailscaleError: Error, Equatable, CustomStringConvertible {
    case api(status: Int, message: String)
    case malformedReply(String)
    case timeout
    case transport(String)

    var description: String {
        switch self {
        case .api(let status, let message): "Tailscale answered \(status): \(message)"
        case .malformedReply(let why): "Tailscale answered something unexpected: \(why)"
        case .timeout: "Tailscale did not answer in time"
        case .transport(let message): "Tailscale unreachable: \(message)"
        }
    }

    var isNotFound: Bool {
        if case .api(404, _) = self { return true }
        return false
    }
}
