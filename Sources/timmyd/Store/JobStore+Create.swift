import Protocol

/// A job as `bootstrap.create` makes it.
struct NewJob: Sendable {
    var id: String
    var label: String?
    var plan: NodePlan
    var amountSats: Int64
    var paymentHash: String
    var paymentRequest: String
    var invoiceExpiresAt: Timestamp
    var accessTokenHash: String
    var sshKeyAlgorithm: String
    /// Set when the buyer brought their own key: then no private key is ever made.
    var buyerPublicKey: (line: String, fingerprint: String)?
    /// Where an HTTP buyer came from (see `Caller.clientAddress`); nil over JSON-RPC.
    var clientAddress: String? = nil
    /// The buyer's own Tailscale auth key, sealed; kept until the droplet exists.
    var sealedBuyerTailscaleKey: [UInt8]? = nil
    /// The invoice when timmyd issued it itself (stub payments): written with the job.
    var stubInvoice: StubInvoiceRecord? = nil
}

/// `JobStore.createJob` refused a job: its client address already has `limit` jobs awaiting payment.
struct UnpaidLimitReached: Error {
    let limit: Int64
}

extension JobStore {
    /// Makes a job awaiting payment: the unpaid-limit check, the stub invoice (if timmyd
    /// issued it), the job and its "created" event are ONE transaction, so a failure or a
    /// crash anywhere in it leaves nothing behind: never an invoice without its job, nor a
    /// job without its history. With `unpaidLimit`, the job's client address may hold at
    /// most that many jobs awaiting payment, this one included; concurrent buyers cannot
    /// overshoot it.
    func createJob(_ job: NewJob, actor: ActorUID, unpaidLimit: Int64? = nil) throws -> JobRecord {
        let now = Timestamp.now()
        let row = try database.transaction { tx in
            if let unpaidLimit, let address = job.clientAddress,
                try Self.unpaidCount(tx, clientAddress: address) >= unpaidLimit
            {
                throw UnpaidLimitReached(limit: unpaidLimit)
            }
            if let invoice = job.stubInvoice { try StubInvoiceStore.insert(invoice, into: tx) }
            let key = job.buyerPublicKey
            let values: [SQLValue] = [
                .text(job.id), .text(JobState.awaitingPayment.rawValue), SQLValue(job.label),
                .text(job.plan.region), .text(job.plan.size), .text(job.plan.image),
                .integer(job.plan.volumeSizeGB), .integer(job.amountSats), .text(job.paymentHash),
                .text(job.paymentRequest), .integer(job.invoiceExpiresAt.milliseconds),
                .text(job.accessTokenHash), .text(job.sshKeyAlgorithm), SQLValue(key?.line), SQLValue(key?.fingerprint),
                .integer(key == nil ? 0 : 1), .integer(now.milliseconds), .integer(now.milliseconds),
                SQLValue(job.clientAddress), job.sealedBuyerTailscaleKey.map(SQLValue.blob) ?? .null,
                .integer(job.sealedBuyerTailscaleKey == nil ? 0 : 1),
            ]
            let inserted = try tx.queryOne(
                """
                INSERT INTO jobs (id, state, label, region, size, image, volume_size_gb, amount_sats,
                    payment_hash, payment_request, invoice_expires_at, access_token_hash, ssh_key_algorithm,
                    ssh_public_key, ssh_key_fingerprint, buyer_supplied_key, created_at, updated_at, client_address,
                    tailscale_auth_key_sealed, buyer_tailscale_key)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *
                """, values)
            try Self.appendEvent(
                tx, jobID: job.id, at: now, from: nil, to: .awaitingPayment, phase: nil, actor: actor,
                reason: "created")
            return inserted
        }
        guard let row else { throw StoreError.corruptRow(column: "id") }
        return try JobRecord(row: row)
    }
}
