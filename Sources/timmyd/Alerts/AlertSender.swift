import Logging
import Protocol

/// Posts recorded operator events to the webhook, oldest due first, one attempt at a
/// time. Runs beside the daemon's other work and never inside a request or a job's
/// transition: a slow or failing receiver delays only other events.
///
/// - Important: an event leaves the outbox only by a 2xx answer or the give-up period
///   ending; undelivered events are sent again after a restart. Receivers may see an
///   event twice (a crash between the answer and its recording), never not at all:
///   they tell repeats apart by the event's `id`.
struct AlertSender: Sendable {
    let events: OperatorEventStore
    let webhookURL: String
    let http: HTTPClient
    let settings: AlertSettings
    let logger: Logger

    /// Delivers until the task is cancelled.
    func run() async {
        while !Task.isCancelled {
            let delivered: Bool
            do {
                delivered = try await deliverNextDue()
            } catch {
                logger.error("alert outbox unreadable; trying again", metadata: ["error": "\(error)"])
                delivered = false
            }
            if delivered { continue }
            try? await Task.sleep(for: .milliseconds(sleepMilliseconds()))
        }
    }

    /// Makes one attempt for the event due first, if one is due. True when an attempt was made.
    func deliverNextDue(now: Timestamp = .now()) async throws -> Bool {
        guard let event = try events.nextDue(now: now) else { return false }
        var status: Int?
        var transportError: String?
        do {
            let response = try await http.send(
                HTTPRequest(
                    method: "POST", url: webhookURL,
                    headers: [
                        ("Content-Type", "application/json"), ("User-Agent", "timmyd/\(TimmyVersion.string)"),
                        ("X-Timmy-Event-Id", "\(event.id)"),
                    ],
                    body: Array(event.webhookJSON.serialized().utf8), timeoutMilliseconds: settings.timeoutMilliseconds))
            status = response.status
        } catch let error as HTTPTransportError {
            transportError = error.isTimeout ? "timeout" : "transport error \(error.code)"
        } catch {
            transportError = "transport error"
        }
        let finished = Timestamp.now()
        let succeeded = status.map { (200..<300).contains($0) } ?? false
        let decision = settings.backoff.decision(
            succeeded: succeeded, failures: event.attempts + 1, eventAt: event.at, now: finished)
        try events.recordAttempt(eventID: event.id, at: finished, status: status, error: transportError, then: decision)
        let metadata: Logger.Metadata = [
            "event": "\(event.id)", "kind": "\(event.kind)", "status": "\(status.map(String.init) ?? transportError ?? "?")",
        ]
        switch decision {
        case .delivered: logger.info("alert delivered", metadata: metadata)
        case .retry(let when): logger.warning("alert not accepted; retrying at \(when.rfc3339)", metadata: metadata)
        case .abandon: logger.error("alert abandoned after the give-up period", metadata: metadata)
        }
        return true
    }

    /// Until the next event falls due, but never longer than one check interval, so a
    /// new event (written by a trigger in another transaction) goes out promptly.
    private func sleepMilliseconds() -> Int64 {
        let interval = settings.checkIntervalMilliseconds
        guard let next = try? events.nextDueTime() else { return interval }
        return min(max(next.milliseconds - Timestamp.now().milliseconds, 10), interval)
    }
}
