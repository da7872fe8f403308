import NIOHTTP1

/// The HTTP request line and the proxy's client-address header, as timmyd reads
/// them before authorization. Input: `METHOD SP request-target`, optionally
/// followed by `\n` and an `X-Forwarded-For` value. Checked: a matched route's job
/// id is one non-empty path segment; a client address is "unix" or a short string
/// of address characters (an IPv6 buyer's /64 ends in `/64`).
@_cdecl("LLVMFuzzerTestOneInput")
public func httpRouteTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: size), as: UTF8.self)
    let lines = text.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false)
    let requestLine = lines.first.map(String.init) ?? ""
    let parts = requestLine.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: false)
    let method = HTTPMethod(rawValue: String(parts.first ?? ""))
    let uri = parts.count > 1 ? String(parts[1]) : ""
    if case .success(let route) = HTTPRoute.match(method: method, uri: uri), let jobID = route.jobID {
        precondition(!jobID.isEmpty && !jobID.contains("/") && !jobID.contains("?") && !jobID.contains("#"), "job id \(jobID)")
    }
    if lines.count > 1 {
        let headers = HTTPHeaders([("X-Forwarded-For", String(lines[1]))])
        let address = ClientAddress.of(headers, trustForwardedFor: true)
        precondition(
            address == ClientAddress.untrusted
                || (address.count <= 45 && address.allSatisfy { "0123456789abcdef.:/".contains($0) }),
            "client address \(address)")
        precondition(ClientAddress.of(headers, trustForwardedFor: false) == ClientAddress.untrusted)
    }
    return 0
}
