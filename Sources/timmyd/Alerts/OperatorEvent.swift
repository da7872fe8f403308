import Protocol

/// What an operator is told about. A closed set: receivers may switch on it.
enum OperatorEventKind: String, Sendable, CaseIterable {
    /// A paid job's provisioning failed (`provisioning → failed`).
    case jobFailed = "job_failed"
    /// Money arrived for a job that will build no node (a late payment under
    /// `LATE_PAYMENT_POLICY=refund`, or a payment that failed verification).
    case refundNeeded = "refund_needed"
    /// A refund payment failed for certain; the job is refundable again.
    case refundFailed = "refund_failed"
    /// A ready node reporting its setup has said nothing for `NODE_SETUP_STALL_MINUTES`.
    case setupStalled = "setup_stalled"
    /// An upstream (the payments backend, the cloud API) has failed every call for `ALERT_UPSTREAM_DOWN_MINUTES`.
    case upstreamDown = "upstream_down"
    /// `admin.reconcile` found cloud resources tagged by timmyd with no live job.
    case reconcileOrphans = "reconcile_orphans"
}

/// Where an event's webhook delivery stands.
enum OperatorEventDelivery: String, Sendable {
    /// Not yet accepted by the webhook (or no webhook is configured).
    case pending
    /// The webhook answered 2xx.
    case delivered
    /// Retried for the whole give-up period without a 2xx; no more attempts.
    case abandoned
}

/// One recorded event.
///
/// - Important: an event carries no secret: no token, key, preimage, invoice or user_data.
///   Its summary is written by timmyd from fixed phrases and stable words, never from
///   upstream error text or caller input.
struct OperatorEvent: Sendable, Equatable {
    var id: Int64
    var kind: String
    var at: Timestamp
    var jobID: String?
    var summary: String
    var delivery: String
    var attempts: Int64
    var lastStatus: Int64?
    var lastError: String?
    var finishedAt: Timestamp?

    /// The body POSTed to the webhook: the event alone, no delivery bookkeeping.
    var webhookJSON: JSONValue {
        .object(dropping: [
            "id": .int(id), "kind": .string(kind), "at": .string(at.rfc3339), "jobId": jobID.map(JSONValue.string),
            "summary": .string(summary), "source": .string("timmyd"),
        ])
    }

    /// The event as `admin.events` lists it: the webhook body and how its delivery went.
    var entry: OperatorEventEntry {
        OperatorEventEntry(
            id: id, kind: kind, at: at.rfc3339, jobId: jobID, summary: summary,
            delivery: .init(
                state: delivery, attempts: attempts, lastStatus: lastStatus, lastError: lastError,
                finishedAt: finishedAt?.rfc3339))
    }
}
