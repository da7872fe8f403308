import NIOHTTP1

/// Where an HTTP buyer is, for the unpaid-job cap.
enum ClientAddress {
    /// What every HTTP caller counts as when the proxy's header is not trusted (or absent).
    static let untrusted = "unix"

    /// With trust on, the last `X-Forwarded-For` entry: the one the nearest proxy wrote
    /// (nginx with `$remote_addr` writes exactly one). Anything that is not an IP address
    /// counts as `untrusted`, so a header cannot invent an unlimited number of addresses.
    static func of(_ headers: HTTPHeaders, trustForwardedFor: Bool) -> String {
        guard trustForwardedFor, let header = headers[canonicalForm: "x-forwarded-for"].last else { return untrusted }
        let candidate = header.filter { $0 != " " && $0 != "\t" }
        let allowed = Set("0123456789abcdefABCDEF.:")
        guard !candidate.isEmpty, candidate.count <= 45, candidate.allSatisfy(allowed.contains),
            candidate.contains(".") || candidate.contains(":")
        else { return untrusted }
        return candidate.lowercased()
    }
}
