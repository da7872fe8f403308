import Logging
import Protocol

/// Routes requests to their handlers. The role check happens here, at the door,
/// before any handler runs: a client calling an admin method gets `forbidden`
/// and nothing else happens.
struct Dispatcher: Sendable {
    typealias Handler = @Sendable (_ params: JSONValue?, _ caller: Caller) async throws -> MethodOutcome

    private let handlers: [String: (role: CallerRole, handler: Handler)]
    /// Calls in one batch; a longer batch is refused whole, before any of it runs.
    let maximumBatchLength: Int
    private let logger: Logger

    init(handlers: [MethodName: Handler], maximumBatchLength: Int = CallerLimits().batchLength, logger: Logger) {
        var table: [String: (CallerRole, Handler)] = [:]
        for (name, handler) in handlers { table[name.rawValue] = (name.requiredRole, handler) }
        self.handlers = table
        self.maximumBatchLength = maximumBatchLength
        self.logger = logger
    }

    /// The reply to one line (nil when it held only notifications), and the
    /// follow-up work of any method that has some.
    func handle(line: [UInt8], caller: Caller) async -> (reply: JSONValue?, followUps: [@Sendable (NotificationSink) async -> Void]) {
        if BatchLength.exceeds(line, limit: maximumBatchLength) {
            return (JSONRPCResponse(id: .null, outcome: .failure(.batchTooLong(limit: maximumBatchLength))).json, [])
        }
        switch IncomingMessage(line: line) {
        case .unusable(let error):
            return (JSONRPCResponse(id: .null, outcome: .failure(error)).json, [])
        case .single(let entry):
            let (response, followUp) = await handle(entry, caller: caller)
            return (response?.json, followUp.map { [$0] } ?? [])
        case .batch(let entries):
            var responses: [JSONValue] = []
            var followUps: [@Sendable (NotificationSink) async -> Void] = []
            for entry in entries {
                let (response, followUp) = await handle(entry, caller: caller)
                if let response { responses.append(response.json) }
                if let followUp { followUps.append(followUp) }
            }
            return (responses.isEmpty ? nil : .array(responses), followUps)
        }
    }

    private func handle(_ entry: IncomingEntry, caller: Caller) async -> (JSONRPCResponse?, (@Sendable (NotificationSink) async -> Void)?) {
        switch entry {
        case .invalid(let error, let id):
            return (JSONRPCResponse(id: id, outcome: .failure(error)), nil)
        case .request(let request):
            let outcome: Result<MethodOutcome, JSONRPCError>
            if caller.transport == .http, request.method == MethodName.watch.rawValue {
                // Notifications need the connection to stay open after the reply; HTTP has its own stream for that.
                outcome = .failure(Self.watchOverHTTP)
            } else {
                outcome = await call(request.method, params: request.params, caller: caller)
            }
            // A notification gets no reply, not even an error (JSON-RPC 2.0, section 4.1).
            guard let id = request.id else { return (nil, nil) }
            switch outcome {
            case .success(let method): return (JSONRPCResponse(id: id, outcome: .success(method.result)), method.followUp)
            case .failure(let error): return (JSONRPCResponse(id: id, outcome: .failure(error)), nil)
            }
        }
    }

    /// Runs one method by name for `caller`, with the same role check as a request line.
    /// The HTTP routes come through here, so they share every handler with JSON-RPC.
    func call(_ method: String, params: JSONValue?, caller: Caller) async -> Result<MethodOutcome, JSONRPCError> {
        guard let (role, handler) = handlers[method] else { return .failure(.methodNotFound(method)) }
        guard caller.role >= role else {
            let why = caller.transport == .http ? "never served over HTTP" : "uid \(caller.uid) is a client"
            return .failure(.application(.forbidden, "\(method) is for admins; \(why)"))
        }
        return await Self.run(handler, method: method, params: params, caller: caller, logger: logger)
    }

    static let watchOverHTTP = JSONRPCError(
        code: JSONRPCError.methodNotFoundCode,
        message: "bootstrap.watch needs a connection that stays open; over HTTP use GET /api/bootstrap/{jobId}/events",
        data: ["reason": "not_over_http", "use": "/api/bootstrap/{jobId}/events"])

    private static func run(
        _ handler: Handler, method: String, params: JSONValue?, caller: Caller, logger: Logger
    ) async -> Result<MethodOutcome, JSONRPCError> {
        do {
            return .success(try await handler(params, caller))
        } catch let error as JSONRPCError {
            return .failure(error)
        } catch let error as any BusinessError {
            return .failure(BusinessErrorMapping.jsonRPCError(for: error))
        } catch {
            // Unexpected errors may carry internals: log them, answer generically.
            logger.error("method failed", metadata: ["method": "\(method)", "error": "\(error)"])
            return .failure(.internalError())
        }
    }
}
