import NIOHTTP1

/// The web API's routes: each one names the JSON-RPC method it stands for, so the
/// HTTP side holds no business logic of its own.
enum HTTPRoute: Equatable {
    case info
    case create
    case status(jobID: String)
    case events(jobID: String)
    case claimKey(jobID: String)
    case confirmKey(jobID: String)
    case cancel(jobID: String)
    case refund(jobID: String)
    case invoiceSVG(jobID: String)
    /// A node's setup report: authenticated by the job's node token, not by a method.
    case nodeSetup(jobID: String)
    case rpc
    /// The web API described as OpenAPI 3.1, made from `rpc.discover` and the routes' documentation.
    case openAPI

    /// Why a request matched no route.
    enum Miss: Error, Equatable {
        case notFound
        case methodNotAllowed(allowed: HTTPMethod)
    }

    /// The route for a request line. Query strings are ignored; paths match exactly
    /// (no trailing slash, no percent-decoding: job ids never need it).
    static func match(method: HTTPMethod, uri: String) -> Result<HTTPRoute, Miss> {
        let path = uri.prefix { $0 != "?" && $0 != "#" }
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard segments.first == "", segments.count >= 2 else { return .failure(.notFound) }
        let (route, allowed): (HTTPRoute, HTTPMethod)
        switch Array(segments.dropFirst()) {
        case ["api", "info"]: (route, allowed) = (.info, .GET)
        case ["api", "openapi.json"]: (route, allowed) = (.openAPI, .GET)
        case ["api", "bootstrap"]: (route, allowed) = (.create, .POST)
        case ["rpc"]: (route, allowed) = (.rpc, .POST)
        case let parts where parts.count == 3 && parts[0] == "api" && parts[1] == "bootstrap" && !parts[2].isEmpty:
            (route, allowed) = (.status(jobID: parts[2]), .GET)
        case let parts where parts.count == 4 && parts[0] == "api" && parts[1] == "bootstrap" && !parts[2].isEmpty:
            let jobID = parts[2]
            switch parts[3] {
            case "events": (route, allowed) = (.events(jobID: jobID), .GET)
            case "key": (route, allowed) = (.claimKey(jobID: jobID), .POST)
            case "cancel": (route, allowed) = (.cancel(jobID: jobID), .POST)
            case "refund": (route, allowed) = (.refund(jobID: jobID), .POST)
            case "invoice.svg": (route, allowed) = (.invoiceSVG(jobID: jobID), .GET)
            default: return .failure(.notFound)
            }
        case let parts
        where parts.count == 5 && parts[0] == "api" && parts[1] == "bootstrap" && !parts[2].isEmpty && parts[3] == "key"
            && parts[4] == "confirm":
            (route, allowed) = (.confirmKey(jobID: parts[2]), .POST)
        case let parts where parts.count == 4 && parts[0] == "api" && parts[1] == "nodes" && !parts[2].isEmpty && parts[3] == "setup":
            (route, allowed) = (.nodeSetup(jobID: parts[2]), .POST)
        default:
            return .failure(.notFound)
        }
        return method == allowed ? .success(route) : .failure(.methodNotAllowed(allowed: allowed))
    }

    /// The job a route is about; such routes need the job's token.
    var jobID: String? {
        switch self {
        case .info, .create, .rpc, .openAPI: nil
        case .status(let id), .events(let id), .claimKey(let id), .confirmKey(let id), .cancel(let id), .refund(let id),
            .invoiceSVG(let id), .nodeSetup(let id):
            id
        }
    }
}
