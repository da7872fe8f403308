#if canImport(Glibc)
import Glibc
#endif
import Logging
import Protocol

/// Pays refunds exactly once.
///
/// A refund is `failed → refunding → refunded`, each a guarded move. The invoice, its
/// hash and amount are stored by the move into `refunding`, before any payment, so:
/// - of concurrent callers only the one that wins that move pays;
/// - after a crash, `resumeInterruptedRefunds` asks the backend about the stored hash
///   before doing anything else, and finishes, waits or retries that same invoice;
/// - a retry pays the same invoice, which settles once, so it can never pay twice.
actor Refunder {
    private let store: JobStore
    private let availability: RefundAvailability
    private let crashAfterSend: Bool
    private let logger: Logger
    private let metrics: DaemonMetrics
    /// Jobs whose payment call is running in this process; the resumer leaves them alone.
    private var inFlight: Set<String> = []

    init(
        store: JobStore, availability: RefundAvailability, crashAfterSend: Bool = false, logger: Logger,
        metrics: DaemonMetrics = DaemonMetrics()
    ) {
        self.metrics = metrics
        self.store = store
        self.availability = availability
        self.crashAfterSend = crashAfterSend
        self.logger = logger
    }

    /// Why refunds are off, or nil when they are on.
    nonisolated var disabledReason: String? {
        if case .disabled(let reason) = availability { reason } else { nil }
    }

    /// Checks the invoice, wins the move to `refunding`, and pays.
    ///
    /// - Returns: the job as it stands after the attempt: `refunded`, or still
    ///   `refunding` when the outcome is not known yet (the resumer finishes it).
    /// - Parameter byOperator: an admin asked (`admin.jobs.refund`): may also refund a job
    ///   whose payment failed verification.
    func refund(jobID: String, bolt11: String, actor: ActorUID, byOperator: Bool = false) async throws -> JobRecord {
        guard let payer = availability.payer else {
            throw RefundRefusal.refundsDisabled(reason: disabledReason ?? "")
        }
        guard let job = try store.job(id: jobID) else { throw RefundRefusal.jobNotFound }
        try RefundRules.checkRefundable(job, byOperator: byOperator)

        let invoice: DecodedInvoice
        let ownInvoice: Bool
        do {
            invoice = try await payer.decode(bolt11)
            let issuedHere = try await payer.isOwnInvoice(paymentHash: invoice.paymentHash)
            ownInvoice = try issuedHere || store.jobExists(paymentHash: invoice.paymentHash)
        } catch let rejected as InvoiceRejected {
            throw RefundRefusal.invoiceUnreadable("\(rejected)")
        } catch {
            logger.warning("refund invoice check failed upstream", metadata: ["job": "\(jobID)", "error": "\(error)"])
            throw RefundRefusal.paymentServiceUnavailable
        }
        try RefundRules.check(invoice, for: job, isOwnInvoice: ownInvoice, now: .now(), byOperator: byOperator)
        // An invoice settles once: a second job refunding to it would be marked refunded by
        // the first job's payment. The unique index on the hash decides a race; this check
        // only answers the common case before anything moves.
        let paymentHash = invoice.paymentHash.lowercased()
        if let holder = try store.jobRefunding(toPaymentHash: paymentHash) {
            // This job's own refund, started by a concurrent call since the job was read
            // above: the job is no longer refundable, which is what the caller must hear.
            guard holder != jobID else { throw RefundRefusal.wrongState((try store.job(id: jobID) ?? job).state) }
            throw RefundRefusal.invoiceAlreadyUsed
        }

        let amountSats = (invoice.amountMsat ?? 0) / 1000
        let moved: JobRecord?
        do {
            moved = try store.startRefund(
                of: jobID, bolt11: bolt11, paymentHash: paymentHash, amountSats: amountSats, actor: actor)
        } catch StoreConflict.refundInvoiceInUse {
            throw RefundRefusal.invoiceAlreadyUsed
        }
        guard let started = moved else { throw RefundRefusal.wrongState((try store.job(id: jobID) ?? job).state) }
        metrics.refund(.started)
        logger.notice("refund started", metadata: ["job": "\(jobID)", "sats": "\(amountSats)", "uid": "\(actor.map { "\($0)" } ?? "-")"])
        let outcome = await pay(started, with: payer)
        if outcome.state == .failed { throw RefundRefusal.paymentFailed(outcome.state) }
        return outcome
    }

    /// Settles every job left in `refunding` by an earlier run or an unknown outcome:
    /// asks the backend about the stored hash first, and pays only if it never saw it.
    func resumeInterruptedRefunds() async {
        let jobs: [JobRecord]
        do {
            jobs = try store.jobs(in: [.refunding])
        } catch {
            logger.error("cannot read refunding jobs", metadata: ["error": "\(error)"])
            return
        }
        for job in jobs where !inFlight.contains(job.id) {
            guard let payer = availability.payer else {
                logger.error("a refund is in progress but refunds are not configured", metadata: ["job": "\(job.id)"])
                continue
            }
            guard let hash = job.refundPaymentHash else { continue }
            inFlight.insert(job.id)
            defer { inFlight.remove(job.id) }
            do {
                switch try await payer.outgoingPayment(paymentHash: hash) {
                case .succeeded: _ = try settle(job, reason: "refund payment confirmed by the backend")
                case .pending: continue
                case .failed(let reason): _ = try reopen(job, reason: "refund payment failed: \(reason)")
                case .notFound: _ = await attempt(job, with: payer)
                }
            } catch {
                logger.warning("refund check failed; will retry", metadata: ["job": "\(job.id)", "error": "\(error)"])
            }
        }
    }

    /// Resumes unsettled refunds every `interval` until cancelled.
    func run(interval: Duration) async {
        while !Task.isCancelled {
            await resumeInterruptedRefunds()
            try? await Task.sleep(for: interval)
        }
    }

    // MARK: Paying

    private func pay(_ job: JobRecord, with payer: RefundPayer) async -> JobRecord {
        inFlight.insert(job.id)
        defer { inFlight.remove(job.id) }
        return await attempt(job, with: payer)
    }

    /// One payment of the job's stored invoice, then the state the backend's answer proves.
    private func attempt(_ job: JobRecord, with payer: RefundPayer) async -> JobRecord {
        guard let bolt11 = job.refundBolt11, let hash = job.refundPaymentHash else { return job }
        do {
            try store.note("refund payment sent", on: job.id, actor: nil)
            let answer = try await payer.pay(bolt11)
            if crashAfterSend {
                logger.critical("fault injection: SIGKILL after the refund payment was sent")
                raise(SIGKILL)
            }
            switch answer {
            case .succeeded:
                return try settle(job, reason: "refund paid") ?? job
            case .pending, .notFound:
                return job
            case .failed(let reason):
                // A refusal is not proof that nothing left: ask by hash before reopening.
                switch try await payer.outgoingPayment(paymentHash: hash) {
                case .succeeded: return try settle(job, reason: "refund payment confirmed by the backend") ?? job
                case .pending: return job
                case .failed, .notFound: return try reopen(job, reason: "refund payment failed: \(reason)") ?? job
                }
            }
        } catch {
            // Unknown outcome (timeout, connection lost): stay `refunding`; the resumer asks by hash.
            logger.warning("refund payment outcome unknown; will check", metadata: ["job": "\(job.id)", "error": "\(error)"])
            return (try? store.job(id: job.id)) ?? job
        }
    }

    private func settle(_ job: JobRecord, reason: String) throws -> JobRecord? {
        let settled = try store.finishRefund(of: job.id, reason: reason)
        if settled != nil {
            metrics.refund(.succeeded)
            logger.notice("refund paid", metadata: ["job": "\(job.id)", "sats": "\(job.refundAmountSats ?? 0)"])
        }
        return settled
    }

    /// Back to `failed` (refundable again) once the backend says the payment failed.
    private func reopen(_ job: JobRecord, reason: String) throws -> JobRecord? {
        logger.warning("refund payment failed", metadata: ["job": "\(job.id)", "reason": "\(reason)"])
        let reopened = try store.reopenRefund(of: job.id, reason: reason)
        if reopened != nil { metrics.refund(.failed) }
        return reopened
    }
}
