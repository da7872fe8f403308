import NIOHTTP1
import Protocol

/// The web API as an OpenAPI 3.1 document, for `GET /api/openapi.json`. It is made from
/// the OpenRPC document (`rpc.discover`) and the routes' documentation, never written
/// twice: a route's body, path parameter and result schemas are its method's, its error
/// statuses are its method's errors through `HTTPErrorMapping`, and the OpenRPC
/// document's `components.schemas` are copied across (their `$ref`s stay valid, as both
/// formats keep schemas under `#/components/schemas/`).
enum OpenAPIDocument {
    /// The body of every error reply, whatever the route: `{"error": {code, message, data}}`.
    static let errorSchemaName = "HTTPErrorReply"

    static func make(openRPC: JSONValue) -> JSONValue {
        let methods = Dictionary(
            (openRPC["methods"]?.arrayValue ?? []).compactMap { method in method["name"]?.stringValue.map { ($0, method) } },
            uniquingKeysWith: { first, _ in first })
        var paths: [String: JSONValue] = [:]
        for route in HTTPRoute.documented {
            let documentation = route.documentation
            let method = documentation.rpcMethod.flatMap { methods[$0.rawValue] }
            var item = paths[documentation.path]?.objectValue ?? [:]
            item[documentation.method.rawValue.lowercased()] = operation(documentation, method: method, openRPC: openRPC)
            paths[documentation.path] = .object(item)
        }
        var schemas = openRPC["components"]?["schemas"]?.objectValue ?? [:]
        schemas[errorSchemaName] = errorSchema
        return [
            "openapi": "3.1.0",
            "info": [
                "title": "timmyd web API",
                "version": openRPC["info"]?["version"] ?? .string(TimmyVersion.string),
                "description": .string(
                    "The HTTP face of timmyd's JSON-RPC methods (rpc.discover on the socket is the full list). Each route "
                        + "calls one method; errors are the method's JSON-RPC error in {\"error\": …} with an HTTP status. "
                        + "The buyer page is static files served by the web proxy, not by timmyd."),
            ],
            "paths": .object(paths),
            "components": [
                "schemas": .object(schemas),
                "securitySchemes": [
                    "jobToken": ["type": "http", "scheme": "bearer", "description": "The job's access token from bootstrap.create."],
                    "nodeToken": ["type": "http", "scheme": "bearer", "description": "The node's own token, given to it in its setup script."],
                ],
            ],
        ]
    }

    private static func operation(_ documentation: HTTPRouteDocumentation, method: JSONValue?, openRPC: JSONValue) -> JSONValue {
        var operation: [String: JSONValue] = [
            "operationId": .string(operationID(documentation)),
            "summary": .string(method?["summary"]?.stringValue.map { "\(documentation.summary): \($0)" } ?? documentation.summary),
        ]
        let params = (method?["params"]?.arrayValue ?? []).map { resolve($0, in: openRPC) }
        if documentation.path.contains("{jobId}") {
            let jobID = params.first { $0["name"] == "jobId" }?["schema"] ?? ["type": "string"]
            operation["parameters"] = [["name": "jobId", "in": "path", "required": true, "schema": jobID]]
        }
        switch documentation.authorization {
        case .none: break
        case .jobToken: operation["security"] = [["jobToken": []]]
        case .nodeToken: operation["security"] = [["nodeToken": []]]
        }
        if let body = documentation.requestBody ?? bodySchema(params, method: documentation.method) {
            operation["requestBody"] = ["required": false, "content": ["application/json": ["schema": body]]]
        }

        var responses: [String: JSONValue] = [:]
        let resultSchema = method.flatMap { resolve($0["result"] ?? .null, in: openRPC)["schema"] } ?? ["type": "object"]
        let success = documentation.successStatus
        if success == .noContent {
            responses["204"] = ["description": "Done; no body."]
        } else {
            responses[String(success.code)] = [
                "description": .string(success.reasonPhrase),
                "content": documentation.successContent ?? ["application/json": ["schema": resultSchema]],
            ]
        }
        if documentation.noContentToo { responses["204"] = ["description": "Nothing to answer; no body."] }
        let statuses = method.map { errorStatuses($0, openRPC: openRPC) } ?? documentation.errorStatuses
        let errorContent: JSONValue = ["application/json": ["schema": ["$ref": .string("#/components/schemas/" + errorSchemaName)]]]
        for status in statuses {
            responses[String(status.code)] = ["description": .string(status.reasonPhrase), "content": errorContent]
        }
        // Any status the web proxy or a limit may add (429 from nginx, 503 overloaded) has the same body.
        responses["default"] = ["description": "An error.", "content": errorContent]
        operation["responses"] = .object(responses)
        return .object(operation)
    }

    /// The method's params as a JSON body: all of them except the two that come from the
    /// path and the `Authorization` header. Nil for GET routes and for methods with none left.
    private static func bodySchema(_ params: [JSONValue], method: HTTPMethod) -> JSONValue? {
        guard method == .POST else { return nil }
        var properties: [String: JSONValue] = [:]
        var required: [JSONValue] = []
        for param in params {
            guard let name = param["name"]?.stringValue, name != "jobId", name != "accessToken" else { continue }
            properties[name] = param["schema"] ?? .bool(true)
            if param["required"] == .bool(true) { required.append(.string(name)) }
        }
        guard !properties.isEmpty else { return nil }
        var schema: [String: JSONValue] = ["type": "object", "properties": .object(properties)]
        if !required.isEmpty { schema["required"] = .array(required) }
        return .object(schema)
    }

    /// The HTTP statuses a method's errors map to. The errors the method documents when
    /// it lists them (by `data.reason`, else by code), else every application error's;
    /// always 400 (bad body or params) and 500.
    private static func errorStatuses(_ method: JSONValue, openRPC: JSONValue) -> [HTTPResponseStatus] {
        var reasons: [ApplicationErrorReason] = ApplicationErrorReason.allCases
        var codes: [Int] = []
        if let documented = method["errors"]?.arrayValue, !documented.isEmpty {
            reasons = []
            for error in documented.map({ resolve($0, in: openRPC) }) {
                let word = error["data"]?["reason"]?.stringValue ?? error["x-reason"]?.stringValue
                if let reason = word.flatMap(ApplicationErrorReason.init(rawValue:)) {
                    reasons.append(reason)
                } else if let code = error["code"]?.intValue {
                    if let reason = ApplicationErrorReason.allCases.first(where: { $0.code == code }) {
                        reasons.append(reason)
                    } else {
                        codes.append(Int(code))
                    }
                }
            }
        }
        let mapped = reasons.map { HTTPErrorMapping.status(for: $0) }
            + codes.map { HTTPErrorMapping.status(for: JSONRPCError(code: $0, message: "")) }
        var seen: Set<UInt> = []
        return ([.badRequest] + mapped + [.internalServerError]).filter { seen.insert($0.code).inserted }.sorted { $0.code < $1.code }
    }

    /// An OpenRPC `$ref` (`#/components/contentDescriptors/…`, `#/components/errors/…`) followed once.
    private static func resolve(_ value: JSONValue, in document: JSONValue) -> JSONValue {
        guard let reference = value["$ref"]?.stringValue, reference.hasPrefix("#/") else { return value }
        var node = document
        for token in reference.dropFirst(2).split(separator: "/") {
            guard let next = node[String(token)] else { return value }
            node = next
        }
        return node
    }

    /// `GET /api/bootstrap/{jobId}/key/confirm` → `postApiBootstrapJobIdKeyConfirm`: unique, as routes are.
    private static func operationID(_ documentation: HTTPRouteDocumentation) -> String {
        let words = documentation.path.split { !$0.isLetter && !$0.isNumber }.map { $0.prefix(1).uppercased() + $0.dropFirst() }
        return documentation.method.rawValue.lowercased() + words.joined()
    }

    private static let errorSchema: JSONValue = [
        "type": "object", "required": ["error"],
        "properties": [
            "error": [
                "type": "object", "required": ["code", "message", "data"],
                "properties": [
                    "code": ["type": "integer"],
                    "message": ["type": "string"],
                    "data": ["type": "object", "required": ["reason"], "properties": ["reason": ["type": "string"]]],
                ],
            ]
        ],
    ]
}
