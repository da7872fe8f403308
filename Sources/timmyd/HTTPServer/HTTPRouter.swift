import NIOHTTP1
import Protocol
import QRCode

/// Turns a request into a JSON-RPC method call on the shared `Dispatcher`, and its
/// outcome into an HTTP response. Everything a route does is what its method does.
struct HTTPRouter: Sendable {
    let dispatcher: Dispatcher
    /// Nodes' setup reports, the one route that is no JSON-RPC method (nodes are no buyers).
    var nodeSetup: NodeSetupReceiver? = nil

    func respond(to request: IncomingHTTPRequest, caller: Caller) async -> HTTPRouteOutcome {
        let route: HTTPRoute
        switch HTTPRoute.match(method: request.method, uri: request.uri) {
        case .success(let matched): route = matched
        case .failure(.notFound):
            return .reply(.error(Self.noRoute(request), status: .notFound))
        case .failure(.methodNotAllowed(let allowed)):
            var reply = HTTPReply.error(
                JSONRPCError(
                    code: JSONRPCError.invalidRequestCode, message: "\(request.uri.prefix(200)) takes \(allowed.rawValue)",
                    data: ["reason": "method_not_allowed", "allow": .string(allowed.rawValue)]),
                status: .methodNotAllowed)
            reply.extraHeaders.append(("Allow", allowed.rawValue))
            return .reply(reply)
        }
        do {
            return try await respond(route, request: request, caller: caller)
        } catch {
            return .reply(.error(error))
        }
    }

    private func respond(_ route: HTTPRoute, request: IncomingHTTPRequest, caller: Caller) async throws(JSONRPCError) -> HTTPRouteOutcome {
        switch route {
        case .info:
            return .reply(.json(.ok, try await call(.daemonInfo, nil, caller).result))
        case .create:
            return .reply(.json(.created, try await call(.create, try Self.bodyObject(request), caller).result))
        case .status(let jobID):
            return .reply(.json(.ok, try await call(.status, try Self.credentials(jobID, request), caller).result))
        case .claimKey(let jobID):
            return .reply(.json(.ok, try await call(.claimKey, try Self.credentials(jobID, request), caller).result))
        case .confirmKey(let jobID):
            return .reply(.json(.ok, try await call(.confirmKey, try Self.credentials(jobID, request), caller).result))
        case .cancel(let jobID):
            return .reply(.json(.ok, try await call(.cancel, try Self.credentials(jobID, request), caller).result))
        case .refund(let jobID):
            let params = try Self.credentials(jobID, request)
            return .reply(.json(.ok, try await call("bootstrap.refund", params, caller).result))
        case .events(let jobID):
            let outcome = try await call(.watch, try Self.credentials(jobID, request), caller)
            return .eventStream(first: outcome.result, followUp: outcome.followUp)
        case .invoiceSVG(let jobID):
            let status = try await call(.status, try Self.credentials(jobID, request), caller).result
            // Only an invoice that can still be paid is drawn: a wallet should never be shown a dead one.
            guard status["state"] == .string(JobState.awaitingPayment.rawValue),
                let invoice = status["invoice"]?["paymentRequest"]?.stringValue
            else {
                let state = status["state"] ?? .null
                throw .application(
                    .wrongState, "There is no invoice to pay: the job is \(state.stringValue ?? "not awaiting payment").",
                    extra: ["state": state])
            }
            guard let code = try? QRCode(encoding: QRCode.lightningPayload(invoice: invoice)) else {
                throw .internalError("the invoice does not fit in a QR code")
            }
            return .reply(HTTPReply(status: .ok, contentType: "image/svg+xml", body: Array(code.svg().utf8)))
        case .nodeSetup(let jobID):
            guard let nodeSetup else { return .reply(.error(Self.noRoute(request), status: .notFound)) }
            _ = try nodeSetup.receive(jobID: jobID, token: request.bearerToken, body: request.body)
            return .reply(.noContent)
        case .rpc:
            return .reply(await rpc(request, caller: caller))
        case .openAPI:
            return .reply(.json(.ok, OpenAPIDocument.make(openRPC: try await call(.discover, nil, caller).result)))
        }
    }

    /// A JSON-RPC request or batch in the body; the reply is JSON-RPC too, always 200
    /// (errors are in the reply, as on the socket), or 204 when it held only notifications.
    private func rpc(_ request: IncomingHTTPRequest, caller: Caller) async -> HTTPReply {
        let (reply, _) = await dispatcher.handle(line: request.body, caller: caller)
        guard let reply else { return .noContent }
        return .json(.ok, reply)
    }

    private func call(_ method: MethodName, _ params: JSONValue?, _ caller: Caller) async throws(JSONRPCError) -> MethodOutcome {
        try await call(method.rawValue, params, caller)
    }

    private func call(_ method: String, _ params: JSONValue?, _ caller: Caller) async throws(JSONRPCError) -> MethodOutcome {
        try await dispatcher.call(method, params: params, caller: caller).get()
    }

    /// The body as a JSON object; an empty body is `{}`.
    static func bodyObject(_ request: IncomingHTTPRequest) throws(JSONRPCError) -> JSONValue {
        guard request.body.contains(where: { ![0x20, 0x09, 0x0D, 0x0A].contains($0) }) else { return .object([:]) }
        let value: JSONValue
        do {
            value = try JSONValue.parse(request.body)
        } catch {
            throw .parseError(error.description)
        }
        guard case .object = value else { throw .invalidParams("the body must be a JSON object, got \(value.typeName)") }
        return value
    }

    /// The body's params plus the job id from the path and the token from the
    /// `Authorization` header; those two may not also come in the body.
    static func credentials(_ jobID: String, _ request: IncomingHTTPRequest) throws(JSONRPCError) -> JSONValue {
        guard let token = request.bearerToken else {
            throw .application(.badToken, "This needs the job's access token in an Authorization: Bearer header.")
        }
        var members = try bodyObject(request).objectValue ?? [:]
        for name in ["jobId", "accessToken"] where members[name] != nil {
            throw .invalidParams("\(name) comes from the URL and the Authorization header, not the body", field: name)
        }
        members["jobId"] = .string(jobID)
        members["accessToken"] = .string(token)
        return .object(members)
    }

    static func noRoute(_ request: IncomingHTTPRequest) -> JSONRPCError {
        JSONRPCError(
            code: JSONRPCError.methodNotFoundCode, message: "No such route: \(request.method.rawValue) \(request.uri.prefix(200))",
            data: ["reason": "no_route"])
    }
}
