import Logging
import NIOConcurrencyHelpers
import Protocol

/// Watches open invoices in the background, so a payment starts provisioning
/// without anyone polling, and marks unpaid invoices expired.
///
/// Jobs that expired or were cancelled stay watched for the late-payment grace
/// period: a payment that lands after the deadline still provisions the node.
final class PaymentWatcher: Sendable {
    private let store: JobStore
    private let backend: PaymentBackend
    private let provisioner: Provisioner
    private let configuration: DaemonConfiguration
    private let logger: Logger
    private let metrics: DaemonMetrics
    private let health = NIOLockedValueBox<BackendHealth>(BackendHealth())
    private let rounds = NIOLockedValueBox<Int>(0)
    /// Jobs past their deadline (in the late-payment grace period) are asked about
    /// once every this many rounds: a payment after expiry is rare, and each open
    /// hash makes the listing call longer.
    static let lateInvoiceRoundStride = 10

    init(
        store: JobStore, backend: PaymentBackend, provisioner: Provisioner, configuration: DaemonConfiguration,
        logger: Logger, metrics: DaemonMetrics = DaemonMetrics()
    ) {
        self.metrics = metrics
        self.store = store
        self.backend = backend
        self.provisioner = provisioner
        self.configuration = configuration
        self.logger = logger
    }

    var backendHealth: BackendHealth { health.withLockedValue { $0 } }

    /// Records how a call made outside the watcher's rounds (an invoice for a new job) went.
    func recordBackendCall(error: Error?) {
        health.withLockedValue { health in
            if let error { health.recordFailure("\(error)") } else { health.recordSuccess() }
        }
    }

    /// Runs rounds until the task is cancelled.
    func run() async {
        var failures = 0
        while !Task.isCancelled {
            do {
                try await checkOpenInvoices()
                failures = 0
            } catch {
                failures += 1
                logger.warning("payment check failed; retrying with backoff", metadata: ["error": "\(error)"])
            }
            let wait = Self.waitMilliseconds(
                pollInterval: configuration.paymentPollIntervalMilliseconds, failures: failures,
                retryAfterSeconds: failures > 0 ? lastRetryAfterSeconds() : nil)
            try? await Task.sleep(for: .milliseconds(wait))
        }
    }

    /// One round over every invoice that may still be paid: open ones every round,
    /// those in the late-payment grace period every `lateInvoiceRoundStride` rounds.
    func checkOpenInvoices() async throws {
        let round = rounds.withLockedValue { round in
            defer { round += 1 }
            return round
        }
        let includeLate = round % Self.lateInvoiceRoundStride == 0
        let lateSince = Timestamp.now().adding(seconds: -configuration.latePaymentGraceSeconds)
        let candidates = try store.jobsWatchedForPayment(lateSince: includeLate ? lateSince : nil)
        guard !candidates.isEmpty else { return }
        let reports: [String: PaymentReport]
        do {
            reports = try await backend.check(paymentHashes: candidates.map(\.paymentHash))
            health.withLockedValue { $0.recordSuccess() }
        } catch {
            health.withLockedValue { $0.recordFailure("\(error)", retryAfterSeconds: Self.retryAfterSeconds(of: error)) }
            throw error
        }
        for job in candidates {
            guard let report = reports[job.paymentHash] else { continue }
            try await settle(job, report: report, actor: nil)
        }
    }

    /// A server's Retry-After is obeyed up to this; a larger one (or a huge number
    /// meant to overflow the conversion to milliseconds) waits this long.
    static let maximumRetryAfterSeconds: Int64 = 3600

    /// The wait before the next round. Upstream trouble backs off: double the wait per
    /// failure, up to 32 rounds, and never sooner than a rate limit's Retry-After.
    static func waitMilliseconds(pollInterval: Int64, failures: Int, retryAfterSeconds: Int64?) -> Int64 {
        let factor = Int64(1) << Int64(min(max(failures, 0), 5))
        var wait = pollInterval.saturatingMultiplied(by: factor)
        if let retryAfterSeconds {
            let obeyed = min(max(retryAfterSeconds, 0), maximumRetryAfterSeconds)
            wait = max(wait, obeyed * 1000)
        }
        return wait
    }

    private func lastRetryAfterSeconds() -> Int64? { health.withLockedValue { $0.retryAfterSeconds } }

    private static func retryAfterSeconds(of error: Error) -> Int64? {
        if case .rateLimited(let seconds)? = error as? LNbitsError, let seconds { return Int64(seconds) }
        return nil
    }

    /// Checks one job's invoice now (for `bootstrap.status` and simulated payments).
    @discardableResult
    func checkNow(_ job: JobRecord, actor: ActorUID) async throws -> JobRecord {
        guard [.awaitingPayment, .expired, .cancelled].contains(job.state) else { return job }
        let reports = try await backend.check(paymentHashes: [job.paymentHash])
        guard let report = reports[job.paymentHash] else { return job }
        return try await settle(job, report: report, actor: actor)
    }

    /// Applies what the backend reported. Of any number of concurrent settlers,
    /// exactly one wins the guarded move to `provisioning` and starts the provisioner.
    @discardableResult
    private func settle(_ job: JobRecord, report: PaymentReport, actor: ActorUID) async throws -> JobRecord {
        switch PaymentVerifier.verify(report, paymentHash: job.paymentHash, expectedAmountSats: job.amountSats) {
        case .paid(let preimage):
            let late = job.state != .awaitingPayment
            if late && configuration.latePaymentPolicy == .refund {
                return try holdForRefund(job, preimage: preimage, actor: actor)
            }
            guard let moved = try store.confirmPayment(of: job.id, from: job.state, preimage: preimage, actor: actor)
            else { return try store.job(id: job.id) ?? job }
            logger.info("payment confirmed; provisioning", metadata: ["job": "\(job.id)", "late": "\(late)"])
            metrics.paymentSeen(invoiceCreatedAt: job.createdAt)
            await provisioner.start(jobID: job.id)
            return moved
        case .refused(let why):
            return try failUnverified(job, why: why, report: report, actor: actor)
        case .unpaid:
            guard job.state == .awaitingPayment, Timestamp.now() >= job.invoiceExpiresAt else { return job }
            let expired = try store.expireInvoice(of: job.id)
            if let expired { return expired }
            return try store.job(id: job.id) ?? job
        }
    }
}

extension PaymentWatcher {
    /// `LATE_PAYMENT_POLICY=refund`: a late payment builds nothing and makes the job refundable.
    fileprivate func holdForRefund(_ job: JobRecord, preimage: String, actor: ActorUID) throws -> JobRecord {
        let after = job.state == .cancelled ? "the job was cancelled" : "the invoice expired"
        guard
            let held = try store.holdLatePaymentForRefund(
                of: job.id, from: job.state, preimage: preimage, actor: actor,
                failure: JobFailureText(
                    publicMessage: "The payment arrived after \(after), so no node was built; ask for a refund",
                    detail: "late payment held for a refund (LATE_PAYMENT_POLICY=refund)"))
        else { return try store.job(id: job.id) ?? job }
        metrics.paymentSeen(invoiceCreatedAt: job.createdAt)
        return held
    }
}

extension PaymentWatcher {
    /// A "paid" that failed verification: money may have arrived, so the job must not stay
    /// where the buyer can cancel it as "nothing was charged". It fails with
    /// `payment_unverified`, the report recorded, and only an admin may refund it.
    fileprivate func failUnverified(_ job: JobRecord, why: String, report: PaymentReport, actor: ActorUID) throws
        -> JobRecord
    {
        // What the backend claimed, for the admin; bounded, since it failed the checks.
        var reportedPreimage: String? = nil
        if case .paid(let preimage, _) = report, preimage.utf8.count <= 128 { reportedPreimage = preimage }
        guard
            let failed = try store.failUnverifiedPayment(
                of: job.id, from: job.state, why: why, reportedPreimage: reportedPreimage, actor: actor,
                failure: JobFailureText(
                    publicMessage: "The payment could not be verified; the operator will check it and refund you",
                    detail: "payment_unverified: \(why)"))
        else { return try store.job(id: job.id) ?? job }
        logger.error("payment report refused; job failed for an admin to check", metadata: ["job": "\(job.id)", "why": "\(why)"])
        return failed
    }
}

/// How the last calls to an upstream service went, for `daemon.info`.
struct BackendHealth: Sendable {
    private(set) var healthy = true
    private(set) var lastError: String?
    private(set) var lastSuccessAt: Timestamp?
    /// The first failure since the last success: when the current outage began.
    private(set) var downSince: Timestamp?
    /// The upstream's Retry-After on its last refusal, honoured by the next wait.
    private(set) var retryAfterSeconds: Int64?

    mutating func recordSuccess() {
        healthy = true
        lastError = nil
        retryAfterSeconds = nil
        lastSuccessAt = .now()
        downSince = nil
    }

    mutating func recordFailure(_ error: String, retryAfterSeconds: Int64? = nil) {
        if healthy || downSince == nil { downSince = .now() }
        healthy = false
        lastError = error
        self.retryAfterSeconds = retryAfterSeconds
    }
}
