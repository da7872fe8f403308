import NIOHTTP1
import Protocol

/// What `GET /api/openapi.json` says about each route. A route that calls a JSON-RPC
/// method names it, and its request and response schemas are that method's, taken
/// from `rpc.discover`; the few routes that are no method are described by hand here.
struct HTTPRouteDocumentation {
    enum Authorization { case none, jobToken, nodeToken }

    /// The path as OpenAPI writes it, `{jobId}` for the job's id.
    let path: String
    let method: HTTPMethod
    let summary: String
    /// The JSON-RPC method the route calls; nil for a route described by hand.
    let rpcMethod: MethodName?
    let successStatus: HTTPResponseStatus
    let authorization: Authorization
    /// Hand-written request body schema (routes with no method), or nil.
    var requestBody: JSONValue? = nil
    /// Hand-written success content (`{media type: {schema}}`) for routes whose reply is
    /// not the method's JSON result; nil means the method's result as JSON.
    var successContent: JSONValue? = nil
    /// Error statuses of a route with no method (a method's come from its errors).
    var errorStatuses: [HTTPResponseStatus] = []
    /// Also answers 204 with no body.
    var noContentToo = false
}

extension HTTPRoute {
    /// One example of every route, in the order the document lists them.
    static let documented: [HTTPRoute] = [
        .info, .create, .status(jobID: "{jobId}"), .events(jobID: "{jobId}"), .claimKey(jobID: "{jobId}"),
        .confirmKey(jobID: "{jobId}"), .cancel(jobID: "{jobId}"), .refund(jobID: "{jobId}"),
        .invoiceSVG(jobID: "{jobId}"), .nodeSetup(jobID: "{jobId}"), .rpc, .openAPI,
    ]

    /// The switch is exhaustive on purpose: a new route does not compile until it is documented.
    var documentation: HTTPRouteDocumentation {
        let job = "/api/bootstrap/{jobId}"
        switch self {
        case .info:
            return .init(path: "/api/info", method: .GET, summary: "daemon.info", rpcMethod: .daemonInfo, successStatus: .ok, authorization: .none)
        case .create:
            return .init(path: "/api/bootstrap", method: .POST, summary: "bootstrap.create", rpcMethod: .create, successStatus: .created, authorization: .none)
        case .status:
            return .init(path: job, method: .GET, summary: "bootstrap.status", rpcMethod: .status, successStatus: .ok, authorization: .jobToken)
        case .events:
            return .init(
                path: job + "/events", method: .GET,
                summary: "bootstrap.watch as server-sent events: each `data:` line is a status object (the schema of "
                    + "bootstrap.watch's result); comment lines keep the stream alive; it ends at a settled state.",
                rpcMethod: .watch, successStatus: .ok, authorization: .jobToken,
                successContent: ["text/event-stream": ["schema": ["type": "string"]]])
        case .claimKey:
            return .init(path: job + "/key", method: .POST, summary: "bootstrap.claimKey", rpcMethod: .claimKey, successStatus: .ok, authorization: .jobToken)
        case .confirmKey:
            return .init(
                path: job + "/key/confirm", method: .POST, summary: "bootstrap.confirmKey", rpcMethod: .confirmKey, successStatus: .ok,
                authorization: .jobToken)
        case .cancel:
            return .init(path: job + "/cancel", method: .POST, summary: "bootstrap.cancel", rpcMethod: .cancel, successStatus: .ok, authorization: .jobToken)
        case .refund:
            return .init(path: job + "/refund", method: .POST, summary: "bootstrap.refund", rpcMethod: .refund, successStatus: .ok, authorization: .jobToken)
        case .invoiceSVG:
            return .init(
                path: job + "/invoice.svg", method: .GET,
                summary: "The invoice of a job awaiting payment as a QR code (bootstrap.status, drawn); wrong_state otherwise.",
                rpcMethod: .status, successStatus: .ok, authorization: .jobToken,
                successContent: ["image/svg+xml": ["schema": ["type": "string"]]])
        case .nodeSetup:
            return .init(
                path: "/api/nodes/{jobId}/setup", method: .POST,
                summary: "A node reports a setup step (sent by the node's own setup script, with its node token).",
                rpcMethod: nil, successStatus: .noContent, authorization: .nodeToken,
                requestBody: [
                    "type": "object", "required": ["step", "state"], "additionalProperties": false,
                    "properties": [
                        "step": ["enum": .array(NodeSetupStep.allCases.map { .string($0.rawValue) })],
                        "state": ["enum": .array(NodeSetupState.allCases.map { .string($0.rawValue) })],
                        "message": ["type": "string", "maxLength": .int(Int64(NodeSetupReport.maximumMessageBytes))],
                    ],
                ],
                errorStatuses: [.badRequest, .unauthorized, .conflict, .internalServerError])
        case .rpc:
            return .init(
                path: "/rpc", method: .POST,
                summary: "A JSON-RPC 2.0 request or batch in the body; the reply is JSON-RPC too (200, errors inside), "
                    + "or 204 when the body held only notifications. bootstrap.watch is not served here (use /events).",
                rpcMethod: nil, successStatus: .ok, authorization: .none,
                requestBody: ["type": ["object", "array"]],
                successContent: ["application/json": ["schema": ["type": ["object", "array"]]]],
                errorStatuses: [.badRequest], noContentToo: true)
        case .openAPI:
            return .init(
                path: "/api/openapi.json", method: .GET, summary: "This document (OpenAPI 3.1), made from rpc.discover.",
                rpcMethod: nil, successStatus: .ok, authorization: .none,
                successContent: ["application/json": ["schema": ["type": "object", "required": ["openapi", "paths"]]]])
        }
    }
}
