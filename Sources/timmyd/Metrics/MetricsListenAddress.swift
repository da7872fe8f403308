#if canImport(Glibc)
import Glibc
#endif

/// `METRICS_LISTEN`: where the Prometheus endpoint listens, `HOST:PORT` with an IP
/// address (IPv6 in brackets) or `localhost`. The wildcard addresses are refused: the
/// metrics are for the operator, so the operator names the one interface they go out on
/// (loopback, or e.g. a tailnet address).
struct MetricsListenAddress: Sendable, Equatable {
    var host: String
    var port: Int

    static let problem =
        "METRICS_LISTEN must be HOST:PORT with an IP address or localhost and a port from 1 to 65535, "
        + "such as 127.0.0.1:9477 or [::1]:9477 (not 0.0.0.0 or [::]: name the interface)"

    init(host: String, port: Int) {
        self.host = host
        self.port = port
    }

    init(parsing text: String) throws {
        let host: Substring
        let portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw ConfigurationError(Self.problem)
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
            guard Self.isSpecificAddress(String(host), family: AF_INET6) else { throw ConfigurationError(Self.problem) }
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw ConfigurationError(Self.problem) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
            guard host == "localhost" || Self.isSpecificAddress(String(host), family: AF_INET) else {
                throw ConfigurationError(Self.problem)
            }
        }
        guard !portText.isEmpty, portText.count <= 5, portText.allSatisfy({ $0.isASCII && $0.isNumber }),
            let port = Int(portText), (1...65_535).contains(port)
        else { throw ConfigurationError(Self.problem) }
        self.host = host == "localhost" ? "127.0.0.1" : String(host)
        self.port = port
    }

    /// A literal address of the family, as inet_pton reads it (no names, no zone ids), and
    /// not the wildcard (all zeros), which would listen on every interface.
    private static func isSpecificAddress(_ text: String, family: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 16)
        return inet_pton(family, text, &buffer) == 1 && buffer.contains { $0 != 0 }
    }

    /// How the address is written in a log line or URL.
    var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }
}
