import Protocol

/// A typed method's reply, and optionally work that goes on after it is written.
struct MethodReply<Result: RPCResult>: Sendable {
    var result: Result
    var followUp: (@Sendable (NotificationSink) async -> Void)?

    init(_ result: Result, followUp: (@Sendable (NotificationSink) async -> Void)? = nil) {
        self.result = result
        self.followUp = followUp
    }
}

/// A handler bound to its descriptor: the params are decoded once, as the descriptor's
/// `Params` type, before the handler runs, and its result is encoded once after.
struct MethodRegistration: Sendable {
    let name: MethodName
    let handler: Dispatcher.Handler

    static func on<Params, Result>(
        _ method: RPCMethod<Params, Result>,
        _ body: @escaping @Sendable (Params, Caller) async throws -> MethodReply<Result>
    ) -> MethodRegistration {
        MethodRegistration(name: method.name) { params, caller in
            let reply = try await body(try method.decodeParams(params), caller)
            return MethodOutcome(reply.result.json, followUp: reply.followUp)
        }
    }

    static func on<Params, Result>(
        _ method: RPCMethod<Params, Result>, _ body: @escaping @Sendable (Params, Caller) async throws -> Result
    ) -> MethodRegistration {
        on(method) { params, caller in MethodReply(try await body(params, caller)) }
    }
}
