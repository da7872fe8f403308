import Protocol

/// One setup report from a node: which step, where it stands, and an optional short
/// note from the script (e.g. the command that failed).
struct NodeSetupReport: Sendable, Equatable {
    static let maximumMessageBytes = 500
    /// Reports one node may send: a setup run sends about twenty, so this leaves room for
    /// many runs, while a node (whose buyer holds its token) cannot fill the job's history.
    static let maximumPerNode: Int64 = 1000

    var step: NodeSetupStep
    var state: NodeSetupState
    var message: String?
    var at: Timestamp

    /// The report a node posts: `{"step": S, "state": "running"|"done"|"failed", "message"?: M}`.
    /// Anything else (unknown field, unknown step or state, a message over 500 bytes or with a
    /// control character, malformed JSON) is refused with an error naming the field.
    static func parse(body: [UInt8], at: Timestamp) throws(JSONRPCError) -> NodeSetupReport {
        let value: JSONValue
        do {
            value = try JSONValue.parse(body)
        } catch {
            throw .parseError(error.description)
        }
        guard case .object = value else { throw .invalidParams("the body must be a JSON object, got \(value.typeName)") }
        let fields = try JSONFields(value, allowed: ["step", "state", "message"])
        let step = try fields.required("step", as: NodeSetupStep.self)
        let state = try fields.required("state", as: NodeSetupState.self)
        let message = try fields.optionalString("message")
        if let message {
            // Besides control characters, invisible format and line-separator characters are refused:
            // the message lands in the job's history and on the buyer's screen as it is.
            guard message.utf8.count <= maximumMessageBytes, PlainText.firstHiddenScalar(in: message) == nil else {
                throw .invalidParams(
                    "message must be at most \(maximumMessageBytes) bytes with no control characters", field: "message")
            }
        }
        return NodeSetupReport(step: step, state: state, message: message?.isEmpty == true ? nil : message, at: at)
    }

    init(step: NodeSetupStep, state: NodeSetupState, message: String?, at: Timestamp) {
        self.step = step
        self.state = state
        self.message = message
        self.at = at
    }

    /// The node's software is all running: the last step is done.
    var isComplete: Bool { step == .complete && state == .done }

    /// Nothing more is expected unless the buyer acts: complete, or a step failed.
    var isSettled: Bool { isComplete || state == .failed }

    /// For the job's history: "node setup: lnd failed: wallet init timed out".
    var eventReason: String {
        "node setup: \(step.rawValue) \(state.rawValue)" + (message.map { ": \($0)" } ?? "")
    }
}
