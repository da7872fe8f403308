import Protocol

/// What an admin sees of a job: everything but the secrets (sealed key,
/// preimage, token hash), plus the raw error and the job's history.
enum AdminJobPresenter {
    static func summary(of job: JobRecord) -> JSONValue {
        .object(dropping: [
            "jobId": .string(job.id), "state": job.state.json, "phase": job.phase.map { .string($0.rawValue) },
            "label": job.label.map(JSONValue.string), "amountSats": .int(job.amountSats),
            "paymentHash": .string(job.paymentHash), "invoiceExpiresAt": .string(job.invoiceExpiresAt.rfc3339),
            "paidAt": job.paidAt.map { .string($0.rfc3339) },
            "plan": [
                "region": .string(job.plan.region), "size": .string(job.plan.size), "image": .string(job.plan.image),
                "volumeSizeGb": .int(job.plan.volumeSizeGB),
            ],
            "sshKeyFingerprint": job.sshKeyFingerprint.map(JSONValue.string),
            "buyerSuppliedKey": .bool(job.buyerSuppliedKey), "keyHeld": .bool(job.sealedPrivateKey != nil),
            "keyClaimedAt": job.keyClaimedAt.map { .string($0.rfc3339) },
            "keyConfirmBy": job.keyConfirmBy.map { .string($0.rfc3339) },
            "keyWipedAt": job.keyWipedAt.map { .string($0.rfc3339) },
            "dropletId": job.doDropletID.map(JSONValue.string), "volumeId": job.doVolumeID.map(JSONValue.string),
            "accountSshKeyId": job.doSSHKeyID.map(JSONValue.string),
            "tailscaleKeyId": job.tailscaleKeyID.map(JSONValue.string),
            "nodeIpv4": job.nodeIPv4.map(JSONValue.string),
            "tailscaleHostname": job.tailscaleHostname.map(JSONValue.string),
            "error": job.publicError.map(JSONValue.string), "errorDetail": job.errorDetail.map(JSONValue.string),
            "errorReason": job.errorReason.map(JSONValue.string),
            "createdAt": .string(job.createdAt.rfc3339), "updatedAt": .string(job.updatedAt.rfc3339),
            "readyAt": job.readyAt.map { .string($0.rfc3339) },
            "refundAmountSats": job.refundAmountSats.map(JSONValue.int),
            "refundPaymentHash": job.refundPaymentHash.map(JSONValue.string),
            "refundedAt": job.refundedAt.map { .string($0.rfc3339) },
            "buyerTailscaleKey": .bool(job.buyerTailscaleKey),
            "nodeSetup": job.state == .ready ? JobStatusPresenter.setupStatus(of: job).json : nil,
        ])
    }

    static func detail(of job: JobRecord, events: [JobEventRecord]) -> JSONValue {
        guard case .object(var object) = summary(of: job) else { return summary(of: job) }
        object["events"] = .array(
            events.map { event in
                .object(dropping: [
                    "at": .string(event.at.rfc3339), "from": event.fromState.map(JSONValue.string),
                    "to": event.toState.map(JSONValue.string), "phase": event.phase.map(JSONValue.string),
                    "actorUid": event.actorUID.map { .int(Int64($0)) }, "reason": .string(event.reason),
                ])
            })
        return .object(object)
    }
}
