import Logging
import Protocol

/// The buyer-facing methods: create, status, watch, claimKey, confirmKey, cancel.
struct BootstrapService: Sendable {
    let store: JobStore
    let payments: PaymentBackend
    let watcher: PaymentWatcher
    let vault: KeyVault
    let configuration: DaemonConfiguration
    let createRate: CreateRateLimiter
    let logger: Logger

    func create(_ params: JSONValue?, _ caller: Caller) async throws -> MethodOutcome {
        let request = try CreateJobParams(json: params ?? .object([:]))
        if let label = request.label { try JobLabel.validate(label) }
        var buyerKey: (line: String, fingerprint: String)? = nil
        if let line = request.sshPublicKey {
            do {
                let key = try SSHPublicKey(parsing: line)
                buyerKey = (key.line, key.fingerprint)
            } catch {
                throw JSONRPCError.invalidParams("sshPublicKey: \(error)", field: "sshPublicKey")
            }
        }
        if let key = Self.rateKey(caller), case .retryAfter(let seconds) = createRate.take(key) {
            throw JSONRPCError.rateLimited(retryAfterSeconds: seconds)
        }
        // Checked before asking for an invoice, so a flood of unpaid jobs costs the payment backend nothing;
        // the insert checks again, atomically.
        let unpaidLimit = caller.clientAddress == nil ? nil : configuration.http.unpaidLimit
        if let unpaidLimit, let address = caller.clientAddress, try store.unpaidCount(clientAddress: address) >= unpaidLimit {
            throw UnpaidLimitReached(limit: unpaidLimit)
        }
        let jobID = JobIdentifier.make()
        let invoice: CreatedInvoice
        do {
            invoice = try await payments.createInvoice(
                amountSats: configuration.priceSats, memo: "timmyd node \(jobID)",
                expirySeconds: configuration.invoiceExpirySeconds)
            watcher.recordBackendCall(error: nil)
        } catch {
            watcher.recordBackendCall(error: error)
            logger.warning("invoice creation failed", metadata: ["error": "\(error)"])
            throw JSONRPCError.application(.upstreamUnavailable, "The payment service is unavailable; try again shortly.")
        }
        // Sealed at once and bound to the job: the buyer's key is a secret like the node's SSH key.
        let sealedTailscaleKey = try request.tailscaleAuthKey.map {
            try vault.box.seal(Array($0.utf8), associatedData: DigitalOceanNodeProvider.tailscaleAAD(jobID: jobID))
        }
        let accessToken = AccessToken.make()
        let expiresAt = Timestamp.now().adding(seconds: configuration.invoiceExpirySeconds)
        // One transaction: the stub invoice (if any), the job and its first event, or nothing.
        let job = try store.createJob(
            NewJob(
                id: jobID, label: request.label, plan: configuration.plan, amountSats: configuration.priceSats,
                paymentHash: invoice.paymentHash, paymentRequest: invoice.paymentRequest,
                invoiceExpiresAt: expiresAt, accessTokenHash: SHA256Digest.hex(Array(accessToken.utf8)),
                sshKeyAlgorithm: configuration.sshKeyAlgorithm.rawValue, buyerPublicKey: buyerKey,
                clientAddress: caller.clientAddress, sealedBuyerTailscaleKey: sealedTailscaleKey,
                stubInvoice: invoice.stubRecord),
            actor: caller.uid, unpaidLimit: unpaidLimit)
        logger.info(
            "job created",
            metadata: ["job": "\(job.id)", "uid": "\(caller.uid)", "buyerTailscaleKey": "\(job.buyerTailscaleKey)"])
        let result = CreateJobResult(
            jobId: job.id, accessToken: accessToken, state: job.state,
            invoice: InvoiceInfo(
                paymentRequest: job.paymentRequest, paymentHash: job.paymentHash, amountSats: job.amountSats,
                expiresAt: job.invoiceExpiresAt.rfc3339))
        return MethodOutcome(result.json)
    }

    func status(_ params: JSONValue?, _ caller: Caller) async throws -> MethodOutcome {
        var job = try authorizedJob(params)
        if job.state == .awaitingPayment {
            // Polling also checks the invoice; the guarded move keeps this exactly-once with the watcher.
            job = (try? await watcher.checkNow(job, actor: caller.uid)) ?? job
        }
        return MethodOutcome(JobStatusPresenter.status(of: job).json)
    }

    func watch(_ params: JSONValue?, _ caller: Caller) async throws -> MethodOutcome {
        let job = try authorizedJob(params)
        let limits = configuration.callerLimits
        if let slots = caller.watchSlots, !slots.take() {
            throw JSONRPCError.tooManyWatches(limit: slots.limit, scope: .connection)
        }
        // Subscribe before reading, so a change between the read and the subscription is not missed.
        guard let changes = store.changes.subscribe(jobID: job.id, limit: limits.watchesPerJob) else {
            caller.watchSlots?.give()
            throw JSONRPCError.tooManyWatches(limit: limits.watchesPerJob, scope: .job)
        }
        let first = JobStatusPresenter.status(of: job)
        // A ready node that reports its setup is followed on until its setup completes or fails.
        guard !first.isFinal else {
            caller.watchSlots?.give()
            return MethodOutcome(first.json)
        }
        let store = self.store
        let slots = caller.watchSlots
        return MethodOutcome(first.json) { sink in
            defer { slots?.give() }
            // Stop at a settled state, or as soon as the caller goes away (cancelling
            // the follower ends its wait on the change stream).
            let follower = Task { await Self.follow(jobID: job.id, from: first, changes: changes, store: store, sink: sink) }
            sink.onClose { follower.cancel() }
            await follower.value
        }
    }

    /// Sends the status after each change that is visible to the buyer, ending with a final one
    /// (a settled state; for a reporting node, its setup complete or failed).
    private static func follow(
        jobID: String, from first: JobStatus, changes: AsyncStream<Void>, store: JobStore, sink: NotificationSink
    ) async {
        var last = first
        for await _ in changes {
            guard let current = try? store.job(id: jobID) else { return }
            let status = JobStatusPresenter.status(of: current)
            guard status != last else { continue }
            last = status
            guard await sink.send(method: MethodName.changedNotification, params: status.json) else { return }
            if status.isFinal { return }
        }
    }

    /// Delivers the key, the same one on every claim until the buyer confirms receipt
    /// (`confirmKey`) or the confirmation window fixed at the first claim passes: a
    /// reply lost on its way to the buyer never loses them the node.
    func claimKey(_ params: JSONValue?, _ caller: Caller) async throws -> MethodOutcome {
        let job = try authorizedJob(params)
        try requireHeldKeyKind(job)
        guard let sealed = job.sealedPrivateKey, let publicKey = job.sshPublicKey, let fingerprint = job.sshKeyFingerprint
        else { throw try keyNoLongerHeld(job) }
        // Open first, then record the delivery: a delivery is never recorded for a key that could not be read.
        let privateKey = try vault.open(sealed, jobID: job.id)
        guard
            let delivered = try store.deliverKey(
                id: job.id, actor: caller.uid, confirmWindowSeconds: configuration.keyConfirmWindowSeconds),
            delivered.sealedPrivateKey == sealed, let confirmBy = delivered.keyConfirmBy
        else {
            // Confirmed or expired between the read and the update: the guarded update refused it.
            throw try keyNoLongerHeld(try store.job(id: job.id) ?? job)
        }
        logger.notice("ssh key delivered", metadata: ["job": "\(job.id)", "uid": "\(caller.uid)"])
        return MethodOutcome(
            ClaimKeyResult(
                sshPrivateKey: privateKey, sshPublicKey: publicKey, sshKeyFingerprint: fingerprint,
                confirmBy: confirmBy.rfc3339
            ).json)
    }

    /// The buyer saved the key (its fingerprint proves which): wipe it now.
    func confirmKey(_ params: JSONValue?, _ caller: Caller) async throws -> MethodOutcome {
        let request = try ConfirmKeyParams(json: params ?? .object([:]))
        let job = try JobAuthorizer(store: store).job(request.credentials)
        try requireHeldKeyKind(job)
        if let wiped = try store.confirmKey(id: job.id, fingerprint: request.sshKeyFingerprint, actor: caller.uid) {
            logger.notice("ssh key receipt confirmed; wiped", metadata: ["job": "\(job.id)", "uid": "\(caller.uid)"])
            return MethodOutcome(
                ConfirmKeyResult(
                    jobId: wiped.id, sshKeyFingerprint: request.sshKeyFingerprint,
                    wipedAt: (wiped.keyWipedAt ?? .now()).rfc3339
                ).json)
        }
        // Nothing was wiped; say why, from the row as it is now.
        let current = try store.job(id: job.id) ?? job
        try requireHeldKeyKind(current)
        guard current.sealedPrivateKey != nil else { throw try keyNoLongerHeld(current) }
        guard current.keyClaimedAt != nil else {
            throw JSONRPCError.application(
                .keyNotClaimed, "The key has not been claimed yet; claim it (bootstrap.claimKey), save it, then confirm.")
        }
        guard current.sshKeyFingerprint == request.sshKeyFingerprint else {
            throw JSONRPCError.application(
                .fingerprintMismatch,
                "That fingerprint is not the node's key; nothing was wiped. Check the file you saved and claim the key again.")
        }
        throw JSONRPCError.internalError("the key could not be confirmed; try again")
    }

    /// A ready job whose key timmyd made: anything else has no key to claim or confirm.
    private func requireHeldKeyKind(_ job: JobRecord) throws {
        guard job.state == .ready else {
            throw JSONRPCError.application(
                .wrongState, "The key can be claimed once the node is ready; the job is \(job.state.rawValue).",
                extra: ["state": job.state.json])
        }
        if job.buyerSuppliedKey {
            throw JSONRPCError.application(.noKeyHeld, "This node uses the public key you supplied; timmyd holds no private key.")
        }
    }

    /// Why a ready job's key cannot be delivered: it was delivered and then confirmed or
    /// not confirmed in time (`key_already_claimed`), or never claimed and wiped after
    /// the retention period (`no_key_held`).
    private func keyNoLongerHeld(_ job: JobRecord) throws -> JSONRPCError {
        try requireHeldKeyKind(job)
        guard let claimedAt = job.keyClaimedAt else {
            return JSONRPCError.application(
                .noKeyHeld, "The unclaimed key was wiped after the retention period.",
                extra: ["wipedAt": job.keyWipedAt.map { .string($0.rfc3339) } ?? .null])
        }
        if job.sealedPrivateKey != nil {
            // Past its confirmation window but not swept yet: wipe it now rather than at the next sweep.
            _ = try store.wipeUnconfirmedKeys()
        }
        return alreadyClaimed(claimedAt)
    }

    func cancel(_ params: JSONValue?, _ caller: Caller) async throws -> MethodOutcome {
        var job = try authorizedJob(params)
        if job.state == .awaitingPayment {
            // A payment that already landed wins over the cancel.
            job = try await watcher.checkNow(job, actor: caller.uid)
        }
        guard job.state == .awaitingPayment, let cancelled = try store.cancelByBuyer(job.id, actor: caller.uid) else {
            let current = try store.job(id: job.id) ?? job
            throw JSONRPCError.application(
                .wrongState, "Only a job awaiting payment can be cancelled; this one is \(current.state.rawValue).",
                extra: ["state": current.state.json])
        }
        return MethodOutcome(JobStatusPresenter.status(of: cancelled).json)
    }

    /// Whom the create rate counts: a web buyer by address, a local client by uid; admins are not limited.
    static func rateKey(_ caller: Caller) -> String? {
        if let address = caller.clientAddress { return address }
        return caller.role == .admin ? nil : "uid:\(caller.uid)"
    }

    private func authorizedJob(_ params: JSONValue?) throws -> JobRecord {
        try JobAuthorizer(store: store).job(JobCredentials(json: params ?? .object([:])))
    }

    private func alreadyClaimed(_ claimedAt: Timestamp) -> JSONRPCError {
        .application(
            .keyAlreadyClaimed,
            "The SSH key was delivered at \(claimedAt.rfc3339) and is no longer held (its receipt was confirmed, "
                + "or not confirmed in time).",
            extra: ["claimedAt": .string(claimedAt.rfc3339)])
    }
}

/// A job's access token: `tat_` and 32 random bytes in unpadded base64url. The prefix
/// makes a leaked token recognisable to secret scanners, and keeps a token that would
/// start with `-` from reading as an option on a command line.
enum AccessToken {
    static func make() -> String {
        "tat_" + Base64.urlEncodeNoPadding(CryptoRandom.bytes(32))
    }
}

/// Job ids are random UUIDs (version 4), lower-case.
enum JobIdentifier {
    static func make() -> String {
        var bytes = CryptoRandom.bytes(16)
        bytes[6] = (bytes[6] & 0x0F) | 0x40
        bytes[8] = (bytes[8] & 0x3F) | 0x80
        let hex = bytes.hexString
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }

    static func isWellFormed(_ id: String) -> Bool {
        let utf8 = Array(id.utf8)
        guard utf8.count == 36 else { return false }
        for (index, byte) in utf8.enumerated() {
            if [8, 13, 18, 23].contains(index) {
                guard byte == UInt8(ascii: "-") else { return false }
            } else {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
                else { return false }
            }
        }
        return true
    }
}
