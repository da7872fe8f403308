import Protocol

/// What an admin sees of a job: everything but the secrets (sealed key,
/// preimage, token hash), plus the raw error and the job's history.
enum AdminJobPresenter {
    static func summary(of job: JobRecord) -> AdminJob {
        AdminJob(
            jobId: job.id, state: job.state, phase: job.phase, label: job.label, amountSats: job.amountSats,
            paymentHash: job.paymentHash, invoiceExpiresAt: job.invoiceExpiresAt.rfc3339, paidAt: job.paidAt?.rfc3339,
            plan: PlanInfo(
                region: job.plan.region, size: job.plan.size, image: job.plan.image, volumeSizeGb: job.plan.volumeSizeGB),
            sshKeyFingerprint: job.sshKeyFingerprint, buyerSuppliedKey: job.buyerSuppliedKey,
            keyHeld: job.sealedPrivateKey != nil, keyClaimedAt: job.keyClaimedAt?.rfc3339,
            keyConfirmBy: job.keyConfirmBy?.rfc3339, keyWipedAt: job.keyWipedAt?.rfc3339, dropletId: job.doDropletID,
            volumeId: job.doVolumeID, accountSshKeyId: job.doSSHKeyID, tailscaleKeyId: job.tailscaleKeyID,
            nodeIpv4: job.nodeIPv4, tailscaleHostname: job.tailscaleHostname, error: job.publicError,
            errorDetail: job.errorDetail, errorReason: job.errorReason, createdAt: job.createdAt.rfc3339,
            updatedAt: job.updatedAt.rfc3339, readyAt: job.readyAt?.rfc3339, refundAmountSats: job.refundAmountSats,
            refundPaymentHash: job.refundPaymentHash, refundedAt: job.refundedAt?.rfc3339,
            buyerTailscaleKey: job.buyerTailscaleKey,
            nodeSetup: job.state == .ready ? JobStatusPresenter.setupStatus(of: job) : nil)
    }

    static func detail(of job: JobRecord, events: [JobEventRecord]) -> AdminJobDetail {
        AdminJobDetail(
            job: summary(of: job),
            events: events.map { event in
                AdminJobEvent(
                    at: event.at.rfc3339, from: event.fromState, to: event.toState, phase: event.phase,
                    actorUid: event.actorUID.map { Int64($0) }, reason: event.reason)
            })
    }
}
