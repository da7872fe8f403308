import Protocol

/// What a buyer sees of their job: never a secret, always a sentence saying
/// where things stand and what to do next.
enum JobStatusPresenter {
    static func status(of job: JobRecord) -> JobStatus {
        let invoice = InvoiceInfo(
            paymentRequest: job.paymentRequest, paymentHash: job.paymentHash, amountSats: job.amountSats,
            expiresAt: job.invoiceExpiresAt.rfc3339)
        var node: NodeInfo? = nil
        if job.state == .ready, let ipv4 = job.nodeIPv4, let publicKey = job.sshPublicKey,
            let fingerprint = job.sshKeyFingerprint
        {
            node = NodeInfo(
                ipv4: ipv4, tailscaleHostname: job.tailscaleHostname, lnbitsUrl: job.lnbitsURL,
                sshPublicKey: publicKey, sshKeyFingerprint: fingerprint, setup: setupStatus(of: job))
        }
        let showsInvoice = [.awaitingPayment, .expired, .cancelled].contains(job.state)
        return JobStatus(
            jobId: job.id, state: job.state, phase: job.phase?.rawValue, amountSats: job.amountSats,
            createdAt: job.createdAt.rfc3339, updatedAt: job.updatedAt.rfc3339, message: message(for: job),
            invoice: showsInvoice ? invoice : nil, node: node, keyClaimed: job.keyDeliveredAndWiped,
            error: [.failed, .refunding, .refunded].contains(job.state) ? job.publicError : nil,
            nextSteps: nextSteps(for: job))
    }

    static func message(for job: JobRecord) -> String {
        switch job.state {
        case .awaitingPayment:
            return "Waiting for payment of \(job.amountSats) sats; the invoice expires at \(job.invoiceExpiresAt.rfc3339)."
        case .provisioning:
            let done = ProvisionPhase.allCases.firstIndex(of: job.phase ?? .queued) ?? 0
            let total = ProvisionPhase.allCases.count - 1
            return "Payment received. Building your node: step \(done) of \(total) done."
        case .ready:
            // The machine (and its software, when the node reports it), then where the key stands.
            return (setupMessage(for: job) ?? "Your node is ready.") + keySentence(for: job)
        case .failed where job.paymentUnverified:
            return "Your payment could not be verified, so no node was built. The operator will check it and refund you."
        case .failed:
            // The stored message is a sentence; end it exactly once.
            var reason = job.publicError ?? "unknown error"
            if !reason.hasSuffix(".") { reason += "." }
            return "Building the node failed: \(reason) You can ask for a refund."
        case .expired:
            return "The invoice expired unpaid. Nothing was charged; start a new purchase."
        case .cancelled:
            return "Cancelled before payment. Nothing was charged."
        case .refunding:
            return "Your refund of \(job.refundAmountSats ?? 0) sats is being paid."
        case .refunded:
            return "\(job.refundAmountSats ?? 0) sats were refunded"
                + (job.refundedAt.map { " at \($0.rfc3339)." } ?? ".")
        case .destroyed:
            return "The operator has taken this node down."
        }
    }

    static func nextSteps(for job: JobRecord) -> [String]? {
        switch job.state {
        case .awaitingPayment:
            return [
                "Pay the Lightning invoice (\(job.amountSats) sats).",
                "Follow progress with: timmyctl watch \(job.id)",
            ]
        case .provisioning:
            return ["Wait: this takes a few minutes. Follow progress with: timmyctl watch \(job.id)"]
        case .ready:
            var steps: [String] = []
            if !job.buyerSuppliedKey && job.sealedPrivateKey != nil {
                // claim-key confirms receipt once the file is saved; then timmyd wipes its copy.
                steps.append("Download your SSH private key: timmyctl claim-key \(job.id) --out node_key")
            }
            let keyFile = job.buyerSuppliedKey ? "your own key" : "node_key"
            steps.append("Log in: ssh -i \(keyFile) root@\(job.nodeIPv4 ?? "the node's address")")
            steps.append("Read your node's passwords and wallet seed: cat /root/node-credentials.txt")
            steps.append("Check the node: /opt/timmy-node/ops.sh status")
            if let hostname = job.tailscaleHostname { steps.append("On your tailnet the node is \(hostname)") }
            if job.setupReport?.state == .failed {
                steps += NodeSetupStatus.failureAdvice
            } else if job.nodeTokenHash != nil, job.setupReport?.isComplete != true {
                steps.append("The node is still installing its software; Bitcoin Core, LND and LNbits answer once its setup is complete.")
            }
            return steps
        case .failed where job.paymentUnverified:
            return ["Contact the operator with your job id (\(job.id)); they can refund the payment."]
        case .failed:
            return ["Ask for a refund with a Lightning invoice for at most \(job.amountSats) sats."]
        case .expired, .cancelled:
            return ["Start a new purchase with: timmyctl new"]
        case .refunding, .refunded, .destroyed:
            return nil
        }
    }

    /// Where a ready node's SSH key stands, as a sentence to follow the first (or nothing).
    static func keySentence(for job: JobRecord) -> String {
        if job.buyerSuppliedKey { return "" }
        if job.keyDeliveredAndWiped { return " Its SSH key has been delivered." }
        if let confirmBy = job.keyConfirmBy, job.sealedPrivateKey != nil {
            return " Its SSH key was sent; it can be downloaded again until you confirm you saved it, or until \(confirmBy.rfc3339)."
        }
        return ""
    }

    /// `node.setup`: whether this node reports its setup, and its last report.
    static func setupStatus(of job: JobRecord) -> NodeSetupStatus {
        guard job.nodeTokenHash != nil else { return NodeSetupStatus(reported: false) }
        guard let report = job.setupReport else { return NodeSetupStatus(reported: true) }
        return NodeSetupStatus(
            reported: true, step: report.step, state: report.state, message: report.message, updatedAt: report.at.rfc3339)
    }

    /// The ready message while the node reports its setup; nil when it does not.
    /// "Ready" is the machine; this says how far its software is.
    static func setupMessage(for job: JobRecord) -> String? {
        guard job.nodeTokenHash != nil else { return nil }
        let total = NodeSetupStep.allCases.count
        guard let report = job.setupReport else {
            return "Machine up — waiting for the node to start installing its software."
        }
        if report.isComplete { return "Your node's software is running." }
        let position = "step \(report.step.number) of \(total)"
        if report.state == .failed {
            var detail = report.message.map { ": \($0)" } ?? ""
            while detail.hasSuffix(".") { detail.removeLast() }
            return "Machine up, but its setup failed at \(report.step.summary) (\(position))\(detail)."
        }
        return "Machine up — \(report.step.summary) (\(position))."
    }
}
