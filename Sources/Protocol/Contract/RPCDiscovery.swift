/// The OpenRPC 1.3 document `rpc.discover` answers with, generated from `RPCMethods.all`.
///
/// Standard shape (`methods[].params[].schema`, `methods[].result.schema`,
/// `components.schemas`, `$ref: "#/components/schemas/X"`) plus two extensions:
/// `x-role` on each method, and `x-notifications` (top level) for the notifications
/// the daemon sends after some replies.
public enum RPCDiscovery {
    public static let openRPCVersion = "1.3.2"

    public static func document(version: String = TimmyVersion.string) -> JSONValue {
        var notifications: [JSONValue] = []
        for method in RPCMethods.all {
            for notification in method.notifications {
                notifications.append([
                    "name": .string(notification.name), "summary": .string(notification.summary),
                    "x-after": .string(method.name.rawValue), "params": notification.params.json,
                ])
            }
        }
        return [
            "openrpc": .string(openRPCVersion),
            "info": [
                "title": "timmyd", "version": .string(version),
                "description": .string(
                    "Pay a Lightning invoice, get your own Bitcoin and Lightning node. Newline-delimited JSON-RPC 2.0 on a "
                        + "Unix socket; params by name. x-role says who may call a method: admin methods answer "
                        + "forbidden (-32001) to clients."),
            ],
            "methods": .array(RPCMethods.all.map(method)),
            "components": [
                "schemas": .object(RPCSchemaComponents.all.mapValues(\.json)),
                "errors": .object(standardErrors),
            ],
            "x-notifications": .array(notifications),
        ]
    }

    static func method(_ method: AnyRPCMethod) -> JSONValue {
        [
            "name": .string(method.name.rawValue), "summary": .string(method.summary), "paramStructure": "by-name",
            "x-role": .string(method.role.rawValue),
            "params": .array(
                method.paramFields.map { field in
                    .object(dropping: [
                        "name": .string(field.name), "required": .bool(field.required), "schema": field.schema.json,
                        "summary": field.summary.map(JSONValue.string),
                    ])
                }),
            "result": ["name": .string(method.resultName), "schema": method.resultSchema.json],
            "errors": .array(method.errors.map(\.json)),
            "examples": .array(
                method.examples.map { example in
                    [
                        "name": .string(example.name),
                        "params": .array(
                            (example.params.objectValue ?? [:]).sorted { $0.key < $1.key }.map {
                                ["name": .string($0.key), "value": $0.value]
                            }),
                        "result": ["name": .string(method.resultName), "value": example.result],
                    ]
                }),
        ]
    }

    /// Errors any request can meet before a method runs.
    static var standardErrors: [String: JSONValue] {
        [
            "ParseError": RPCErrorCase(
                code: JSONRPCError.parseErrorCode, reason: "parse_error", message: "The line is not JSON.").json,
            "LineTooLong": RPCErrorCase(
                code: JSONRPCError.parseErrorCode, reason: "line_too_long",
                message: "The line is longer than the daemon reads (data.limit); the connection is closed.").json,
            "InvalidRequest": RPCErrorCase(
                code: JSONRPCError.invalidRequestCode, reason: "invalid_request",
                message: "Not a JSON-RPC 2.0 request object, or an empty batch.").json,
            "BatchTooLong": RPCErrorCase(
                code: JSONRPCError.invalidRequestCode, reason: "batch_too_long",
                message: "The batch holds more calls than data.limit; none of it ran.").json,
            "MethodNotFound": RPCErrorCase(
                code: JSONRPCError.methodNotFoundCode, reason: "method_not_found", message: "No such method.").json,
            "Forbidden": RPCErrorCase.forbidden.json,
            "Overloaded": RPCErrorCase.application(.overloaded, "The daemon is at its connection limit; try again.").json,
            "TooManyConnections": RPCErrorCase.application(
                .tooManyConnections, "This address holds its share of HTTP connections (data.limit).").json,
        ]
    }
}

/// Every shared type under `components/schemas`.
public enum RPCSchemaComponents {
    public static let referencePrefix = "#/components/schemas/"

    static var types: [any RPCSchemaComponent.Type] {
        [
        JobState.self, NodeSetupStep.self, NodeSetupState.self, NodeSetupStatus.self, InvoiceInfo.self, NodeInfo.self,
        JobStatus.self, CreateJobResult.self, ClaimKeyResult.self, ConfirmKeyResult.self, BackupSummary.self,
        BackupChunk.self, PlanInfo.self, DaemonInfo.self, AdminJob.self, AdminJobDetail.self, JobPage.self,
        AdminStats.self, UserDataRenderResult.self, ReconcileResult.self, OperatorEventEntry.self, OperatorEventsPage.self,
        ]
    }

    public static var all: [String: JSONSchema] {
        var schemas = SharedStrings.components
        for type in types { schemas[type.componentName] = type.componentSchema }
        return schemas
    }
}
