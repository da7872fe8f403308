#if canImport(Glibc)
import Glibc
#endif
import NIOHTTP1

/// Where an HTTP buyer is, for the per-address limits (unpaid jobs, connections,
/// event streams, the create rate).
enum ClientAddress {
    /// What every HTTP caller counts as when the proxy's header is not trusted (or absent).
    static let untrusted = "unix"

    /// With trust on, the last `X-Forwarded-For` entry: the one the nearest proxy wrote
    /// (nginx with `$remote_addr` writes exactly one). Anything that is not an IP address
    /// counts as `untrusted`, so a header cannot invent an unlimited number of addresses.
    static func of(_ headers: HTTPHeaders, trustForwardedFor: Bool) -> String {
        guard trustForwardedFor, let header = headers[canonicalForm: "x-forwarded-for"].last else { return untrusted }
        let candidate = header.filter { $0 != " " && $0 != "\t" }
        guard candidate.utf8.count <= 45, let key = limitKey(candidate) else { return untrusted }
        return key
    }

    /// The key one buyer is counted under: an IPv4 address as it is, an IPv6 address
    /// as its /64 (`2001:db8:0:1::/64`), since one subscriber usually holds a whole /64
    /// and could otherwise pick a fresh address for every request. An IPv4-mapped IPv6
    /// address counts as its IPv4 address. Nil for anything that is not an address.
    static func limitKey(_ text: String) -> String? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 { return format(ipv4: v4) }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
            return bytes[12..<16].map { String($0) }.joined(separator: ".")
        }
        let groups = stride(from: 0, to: 8, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }
        return groups.joined(separator: ":") + "::/64"
    }

    private static func format(ipv4 address: in_addr) -> String {
        withUnsafeBytes(of: address) { $0.map { String($0) }.joined(separator: ".") }
    }
}
