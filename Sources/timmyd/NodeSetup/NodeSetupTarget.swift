/// Where a job's node reports its setup, with the job's node token opened from its
/// sealed copy; nil when reports are off or the job holds no token to render.
extension NodeSetupReportTarget {
    init?(job: JobRecord, settings: NodeSetupSettings, vault: KeyVault) throws {
        guard let url = settings.reportURL(jobID: job.id), let sealed = job.sealedNodeToken else { return nil }
        let token = try vault.box.open(sealed, associatedData: NodeToken.associatedData(jobID: job.id))
        self.init(url: url, token: String(decoding: token, as: UTF8.self))
    }
}
