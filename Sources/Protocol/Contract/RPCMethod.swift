/// A method's params: decoded once by the daemon (unknown members refused), encoded by clients.
public protocol RPCParams: JSONConvertible {
    /// The members, in the order `rpc.discover` lists them.
    static var fields: [RPCField] { get }
}

extension RPCParams {
    /// Params are objects by name; the daemon refuses members it does not know.
    public static var schema: JSONSchema { .object(nil, fields, closed: true) }
}

/// A method's result, with the schema of its wire form.
public protocol RPCResult: JSONConvertible {
    static var schema: JSONSchema { get }
}

/// A shared type written once under `components/schemas` in `rpc.discover`.
public protocol RPCSchemaComponent {
    static var componentName: String { get }
    static var componentSchema: JSONSchema { get }
}

extension RPCResult where Self: RPCSchemaComponent {
    public static var schema: JSONSchema { .ref(componentName) }
}

/// Params of a method that takes none: absent, null or `{}`; any member is refused.
public struct NoParams: RPCParams, Equatable {
    public init() {}
    public init(json: JSONValue) throws(JSONRPCError) { _ = try JSONFields(json, allowed: []) }
    public var json: JSONValue { [:] }
    public static let fields: [RPCField] = []
}

/// One error a method can answer with: its code, its `data.reason` word and what it means.
public struct RPCErrorCase: Sendable, Equatable {
    public var code: Int
    public var reason: String
    public var message: String

    public init(code: Int, reason: String, message: String) {
        self.code = code
        self.reason = reason
        self.message = message
    }

    public static func application(_ reason: ApplicationErrorReason, _ message: String) -> RPCErrorCase {
        RPCErrorCase(code: reason.code, reason: reason.rawValue, message: message)
    }

    /// Every method: params that are not an object, an unknown member, a wrong type or value.
    public static let invalidParams = RPCErrorCase(
        code: JSONRPCError.invalidParamsCode, reason: "invalid_params",
        message: "The params were refused; data.field names the member when there is one. Nothing changed.")
    /// Every method: something unexpected; the daemon's log says what, the caller is told nothing more.
    public static let internalError = RPCErrorCase(
        code: JSONRPCError.internalErrorCode, reason: "internal", message: "Something unexpected failed; nothing more is said.")
    /// Every admin method, called by a client (or over HTTP).
    public static let forbidden = RPCErrorCase.application(.forbidden, "The method is for admins and the caller is a client.")

    public var json: JSONValue {
        ["code": .int(Int64(code)), "message": .string(message), "data": ["reason": .string(reason)]]
    }
}

/// A named pair of params and the result they get, as `rpc.discover` shows it.
public struct RPCExample<Params: RPCParams, Result: RPCResult>: Sendable {
    public var name: String
    public var params: Params
    public var result: Result

    public init(_ name: String, params: Params, result: Result) {
        self.name = name
        self.params = params
        self.result = result
    }
}

/// A notification the daemon sends after a method's reply, on the same connection.
public struct RPCNotification: Sendable {
    public var name: String
    public var summary: String
    public var params: JSONSchema

    public init(name: String, summary: String, params: JSONSchema) {
        self.name = name
        self.summary = summary
        self.params = params
    }
}

/// One JSON-RPC method, described once: name, who may call it, what it takes and
/// gives, how it fails and an example. The daemon registers its handler against this,
/// clients call through it, and `rpc.discover` is generated from all of them.
public struct RPCMethod<Params: RPCParams, Result: RPCResult>: Sendable {
    public let name: MethodName
    public let role: CallerRole
    public let summary: String
    /// The result's name in `rpc.discover` (a type name such as `JobStatus`).
    public let resultName: String
    /// The errors this method may answer with besides `invalid_params`, `internal` and (admin) `forbidden`.
    public let errors: [RPCErrorCase]
    public let examples: [RPCExample<Params, Result>]
    /// Notifications that follow the reply, if any.
    public let notifications: [RPCNotification]

    public init(
        _ name: MethodName, role: CallerRole, summary: String, result resultName: String, errors: [RPCErrorCase] = [],
        examples: [RPCExample<Params, Result>], notifications: [RPCNotification] = []
    ) {
        self.name = name
        self.role = role
        self.summary = summary
        self.resultName = resultName
        self.errors = errors
        self.examples = examples
        self.notifications = notifications
    }

    /// Every error the method can answer with, standard ones included, codes in order.
    public var allErrors: [RPCErrorCase] {
        var all = errors + [.invalidParams, .internalError]
        if role == .admin { all.append(.forbidden) }
        var seen = Set<String>()
        return all.filter { seen.insert($0.reason).inserted }.sorted { ($0.code, $0.reason) > ($1.code, $1.reason) }
    }

    public func decodeParams(_ value: JSONValue?) throws(JSONRPCError) -> Params {
        try Params(json: value ?? .object([:]))
    }

    public var erased: AnyRPCMethod { AnyRPCMethod(self) }
}

/// A method description without its Swift types: for discovery, the dispatcher's
/// table and tests over all methods.
public struct AnyRPCMethod: Sendable {
    public let name: MethodName
    public let role: CallerRole
    public let summary: String
    public let paramFields: [RPCField]
    public let resultName: String
    public let resultSchema: JSONSchema
    public let errors: [RPCErrorCase]
    /// Each example's name, params and result as they travel on the wire.
    public let examples: [(name: String, params: JSONValue, result: JSONValue)]
    public let notifications: [RPCNotification]
    /// Decodes params as the daemon does, throwing what the caller would get.
    public let checkParams: @Sendable (JSONValue?) throws(JSONRPCError) -> Void
    /// Reads a result as a client does and writes it back.
    public let roundTripResult: @Sendable (JSONValue) throws -> JSONValue

    public init<Params, Result>(_ method: RPCMethod<Params, Result>) {
        name = method.name
        role = method.role
        summary = method.summary
        paramFields = Params.fields
        resultName = method.resultName
        resultSchema = Result.schema
        errors = method.allErrors
        examples = method.examples.map { ($0.name, $0.params.json, $0.result.json) }
        notifications = method.notifications
        checkParams = { (value) throws(JSONRPCError) in _ = try method.decodeParams(value) }
        roundTripResult = { value in try Result(json: value).json }
    }
}
