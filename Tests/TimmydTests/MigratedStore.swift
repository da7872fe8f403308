import Protocol
import Testing

@testable import timmyd

/// A real, fully migrated job database in a temporary folder, shared by the store suites.
/// Set-up goes through the store's intents; `force` is for states no intent reaches
/// quickly (a deadline already past), and is test code's alone.
struct MigratedStore {
    let directory: TemporaryDirectory
    let database: SQLiteDatabase
    let store: JobStore

    init(fileName: String = "jobs.db") throws {
        directory = try TemporaryDirectory()
        database = try SQLiteDatabase(path: directory.file(fileName))
        _ = try Migrator.migrate(database, Schema.migrations)
        store = JobStore(database: database, changes: JobChangeNotifier())
    }

    static let plan = NodePlan(region: "nyc3", size: "s-1", image: "img", volumeSizeGB: 0)

    /// A new job awaiting payment, as `bootstrap.create` makes it.
    func newJob(
        id: String = JobIdentifier.make(), buyerKey: (line: String, fingerprint: String)? = nil,
        clientAddress: String? = nil, plan: NodePlan = Self.plan, stubInvoice: StubInvoiceRecord? = nil
    ) -> NewJob {
        NewJob(
            id: id, label: "test", plan: plan, amountSats: 50_000, paymentHash: SHA256Digest.hex(Array(id.utf8)),
            paymentRequest: "lnbc500u1\(id)", invoiceExpiresAt: Timestamp.now().adding(seconds: 3600),
            accessTokenHash: SHA256Digest.hex([1, 2, 3]), sshKeyAlgorithm: "ed25519", buyerPublicKey: buyerKey,
            clientAddress: clientAddress, stubInvoice: stubInvoice)
    }

    @discardableResult
    func createJob(
        buyerKey: (line: String, fingerprint: String)? = nil, clientAddress: String? = nil, unpaidLimit: Int64? = nil,
        plan: NodePlan = Self.plan
    ) throws -> JobRecord {
        try store.createJob(newJob(buyerKey: buyerKey, clientAddress: clientAddress, plan: plan), actor: 1000, unpaidLimit: unpaidLimit)
    }

    /// A paid job provisioning at phase `queued`, as the payment watcher leaves it.
    func provisioningJob(buyerKey: (line: String, fingerprint: String)? = nil, plan: NodePlan = Self.plan) throws -> JobRecord {
        let job = try createJob(buyerKey: buyerKey, plan: plan)
        return try #require(try store.confirmPayment(of: job.id, from: .awaitingPayment, preimage: "00", actor: nil))
    }

    /// A ready job still holding its sealed private key [9, 9, 9].
    func readyJobWithKey() throws -> JobRecord {
        let job = try provisioningJob()
        _ = try #require(
            try store.storeKeyPair(of: job.id, publicKey: "ssh-ed25519 AAAA", fingerprint: "SHA256:x", sealedPrivateKey: [9, 9, 9]))
        return try #require(try store.markReady(job.id))
    }

    /// A paid job whose provisioning failed: refundable.
    func failedPaidJob() throws -> JobRecord {
        let job = try provisioningJob()
        return try #require(
            try store.failProvisioning(
                job.id, failure: JobFailureText(publicMessage: "p", detail: "d"), keepPublicKey: false, reason: "failed"))
    }

    /// Records the droplet phase directly after `queued` (the phases before it are not what a test looks at).
    @discardableResult
    func recordDroplet(_ id: String, dropletID: String = "42") throws -> JobRecord {
        var resources = ProvisionedResources()
        resources.doDropletID = dropletID
        return try #require(
            try store.recordPhase(.dropletCreated, of: id, after: .queued, resources: resources, reason: "phase droplet_created"))
    }

    /// Test set-up only: writes columns no intent sets to such values (a deadline in the past).
    func force(_ id: String, _ assignments: String, _ values: [SQLValue]) throws {
        #expect(try database.execute("UPDATE jobs SET \(assignments) WHERE id = ?", values + [.text(id)]) == 1)
    }

    /// Every table's rows, to check that a refused intent changed nothing.
    func snapshot() throws -> [String] {
        var rows: [String] = []
        for table in ["jobs", "job_events", "stub_invoices"] {
            rows += try database.query("SELECT * FROM \(table) ORDER BY rowid").map { "\(table): \($0.columnNames) \($0.values)" }
        }
        return rows
    }
}
