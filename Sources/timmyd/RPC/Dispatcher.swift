import Logging
import Protocol

/// Routes requests to their handlers. The role check happens here, at the door,
/// before any handler runs: a client calling an admin method gets `forbidden`
/// and nothing else happens.
struct Dispatcher: Sendable {
    typealias Handler = @Sendable (_ params: JSONValue?, _ caller: Caller) async throws -> MethodOutcome

    private let handlers: [String: (role: CallerRole, handler: Handler)]
    private let logger: Logger

    init(handlers: [MethodName: Handler], logger: Logger) {
        var table: [String: (CallerRole, Handler)] = [:]
        for (name, handler) in handlers { table[name.rawValue] = (name.requiredRole, handler) }
        self.handlers = table
        self.logger = logger
    }

    /// The reply to one line (nil when it held only notifications), and the
    /// follow-up work of any method that has some.
    func handle(line: [UInt8], caller: Caller) async -> (reply: JSONValue?, followUps: [@Sendable (NotificationSink) async -> Void]) {
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
            if let (role, handler) = handlers[request.method] {
                if caller.role < role {
                    outcome = .failure(
                        .application(.forbidden, "\(request.method) is for admins; uid \(caller.uid) is a client"))
                } else {
                    outcome = await Self.run(handler, request: request, caller: caller, logger: logger)
                }
            } else {
                outcome = .failure(.methodNotFound(request.method))
            }
            // A notification gets no reply, not even an error (JSON-RPC 2.0, section 4.1).
            guard let id = request.id else { return (nil, nil) }
            switch outcome {
            case .success(let method): return (JSONRPCResponse(id: id, outcome: .success(method.result)), method.followUp)
            case .failure(let error): return (JSONRPCResponse(id: id, outcome: .failure(error)), nil)
            }
        }
    }

    private static func run(
        _ handler: Handler, request: JSONRPCRequest, caller: Caller, logger: Logger
    ) async -> Result<MethodOutcome, JSONRPCError> {
        do {
            return .success(try await handler(request.params, caller))
        } catch let error as JSONRPCError {
            return .failure(error)
        } catch {
            // Unexpected errors may carry internals: log them, answer generically.
            logger.error("method failed", metadata: ["method": "\(request.method)", "error": "\(error)"])
            return .failure(.internalError())
        }
    }
}
