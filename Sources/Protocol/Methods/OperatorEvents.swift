/// One operator event as `admin.events` lists it (and `admin.events.event` sends it):
/// what happened, and how its webhook delivery went.
public struct OperatorEventEntry: Sendable, Equatable, RPCSchemaComponent, JSONConvertible {
    /// Where the event's webhook delivery stands.
    public struct Delivery: Sendable, Equatable {
        /// `pending`, `delivered` or `abandoned`.
        public var state: String
        public var attempts: Int64
        public var lastStatus: Int64?
        public var lastError: String?
        public var finishedAt: String?

        public init(state: String, attempts: Int64, lastStatus: Int64? = nil, lastError: String? = nil, finishedAt: String? = nil) {
            self.state = state
            self.attempts = attempts
            self.lastStatus = lastStatus
            self.lastError = lastError
            self.finishedAt = finishedAt
        }
    }

    /// The kinds an event may have; receivers may switch on them.
    public static let kinds = ["job_failed", "refund_needed", "refund_failed", "setup_stalled", "upstream_down", "reconcile_orphans"]

    public var id: Int64
    public var kind: String
    public var at: String
    public var jobId: String?
    public var summary: String
    public var delivery: Delivery

    public init(id: Int64, kind: String, at: String, jobId: String? = nil, summary: String, delivery: Delivery) {
        self.id = id
        self.kind = kind
        self.at = at
        self.jobId = jobId
        self.summary = summary
        self.delivery = delivery
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let f = try JSONFields(reply: json)
        id = try f.int("id")
        kind = try f.string("kind")
        at = try f.string("at")
        jobId = try f.optionalString("jobId")
        summary = try f.string("summary")
        let d = try JSONFields(reply: f.optionalValue("delivery") ?? [:])
        delivery = Delivery(
            state: try d.string("state"), attempts: try d.int("attempts"), lastStatus: try d.optionalInt("lastStatus"),
            lastError: try d.optionalString("lastError"), finishedAt: try d.optionalString("finishedAt"))
    }

    public var json: JSONValue {
        .object(dropping: [
            "id": .int(id), "kind": .string(kind), "at": .string(at), "jobId": jobId.map(JSONValue.string),
            "summary": .string(summary),
            "delivery": .object(dropping: [
                "state": .string(delivery.state), "attempts": .int(delivery.attempts),
                "lastStatus": delivery.lastStatus.map(JSONValue.int), "lastError": delivery.lastError.map(JSONValue.string),
                "finishedAt": delivery.finishedAt.map(JSONValue.string),
            ]),
        ])
    }

    public static let componentName = "OperatorEvent"
    public static var componentSchema: JSONSchema {
        .object(
            "Something the operator is told about; never a secret.",
            [
                RPCField("id", .integer(minimum: 1)), RPCField("kind", .string(enum: kinds)),
                RPCField("at", .string(format: "date-time")), .optional("jobId", .ref("JobId"), "The job it is about."),
                RPCField("summary", .string()),
                RPCField(
                    "delivery",
                    .object(
                        "The webhook delivery.",
                        [
                            RPCField("state", .string(enum: ["pending", "delivered", "abandoned"])),
                            RPCField("attempts", .integer(minimum: 0)),
                            .optional("lastStatus", .integer(), "The last attempt's HTTP status."),
                            .optional("lastError", .string(), "The last attempt's transport error word."),
                            .optional("finishedAt", .string(format: "date-time")),
                        ])),
            ])
    }
}

/// `admin.events` result: events after `since`, and the id to continue from.
public struct OperatorEventsPage: Sendable, Equatable, RPCResult, RPCSchemaComponent {
    public var events: [OperatorEventEntry]
    /// The highest id listed (or `since` when none): the next call's `since`.
    public var lastId: Int64

    public init(events: [OperatorEventEntry], lastId: Int64) {
        self.events = events
        self.lastId = lastId
    }

    public init(json: JSONValue) throws(JSONRPCError) {
        let f = try JSONFields(reply: json)
        events = try f.array("events", of: OperatorEventEntry.self)
        lastId = try f.int("lastId")
    }

    public var json: JSONValue { ["events": .array(events.map(\.json)), "lastId": .int(lastId)] }

    public static let componentName = "OperatorEventsPage"
    public static var componentSchema: JSONSchema {
        .object(
            "Operator events after since, oldest first.",
            [RPCField("events", .array(of: .ref(OperatorEventEntry.self))), RPCField("lastId", .integer(minimum: 0))])
    }
}

extension OperatorEventsParams: RPCParams {
    /// The members `init(json:)` accepts: exactly those `rpc.discover` publishes.
    static let memberNames = Set(fields.map(\.name))

    public static var fields: [RPCField] {
        [
            .optional("since", .integer("Only events with an id above this; 0 when absent.", minimum: 0)),
            .optional("limit", .integer("At most this many past events; 100 when absent.", minimum: 1, maximum: maximumLimit)),
            .optional("follow", .boolean(), "Then send each new event as an admin.events.event notification."),
        ]
    }
}
