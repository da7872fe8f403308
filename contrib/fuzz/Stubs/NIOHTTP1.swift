// The fuzz build compiles a few of timmyd's HTTP files without SwiftPM, so it
// cannot link SwiftNIO. This stands in for the two NIOHTTP1 types they use, with
// the same names and the same behaviour for what those files call:
// `HTTPMethod` (cases, `rawValue`, ==) and `HTTPHeaders` (case-insensitive lookups).

public enum HTTPMethod: Equatable, Sendable {
    case GET, PUT, ACL, HEAD, POST, COPY, LOCK, MOVE, BIND, LINK, PATCH, TRACE, MKCOL, MERGE, PURGE, NOTIFY, SEARCH
    case UNLOCK, REBIND, UNBIND, REPORT, DELETE, UNLINK, CONNECT, MSEARCH, OPTIONS, PROPFIND, CHECKOUT, PROPPATCH
    case SUBSCRIBE, MKCALENDAR, MKACTIVITY, UNSUBSCRIBE, SOURCE
    case RAW(value: String)

    public init(rawValue: String) {
        switch rawValue {
        case "GET": self = .GET
        case "PUT": self = .PUT
        case "HEAD": self = .HEAD
        case "POST": self = .POST
        case "PATCH": self = .PATCH
        case "DELETE": self = .DELETE
        case "OPTIONS": self = .OPTIONS
        case "CONNECT": self = .CONNECT
        case "TRACE": self = .TRACE
        default: self = .RAW(value: rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .RAW(let value): value
        default: "\(self)"
        }
    }
}

public struct HTTPHeaders: Sendable {
    private var pairs: [(String, String)]

    public init(_ pairs: [(String, String)] = []) { self.pairs = pairs }

    public func first(name: String) -> String? {
        pairs.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    /// NIO splits comma-separated values of a header into separate entries.
    public subscript(canonicalForm name: String) -> [Substring] {
        pairs.filter { $0.0.lowercased() == name.lowercased() }
            .flatMap { $0.1.split(separator: ",", omittingEmptySubsequences: true) }
            .map { $0.drop { $0 == " " || $0 == "\t" } }
    }
}
