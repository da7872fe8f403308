import Protocol

/// What `admin.stats` reports, counted by the database.
struct JobStats: Sendable, Equatable {
    /// Every state, with zero for a state no job is in.
    var jobsByState: [JobState: Int64]
    /// Jobs with a payment taken (a payment that failed verification is not money taken).
    var paidJobs: Int64
    var satsTaken: Int64
    /// How long each finished provisioning took, shortest first.
    var provisioningMilliseconds: [Int64]
}

extension JobStore {
    func stats() throws -> JobStats {
        let byState = try countsByState()
        let taken = try database.queryOne(
            "SELECT COALESCE(SUM(amount_sats), 0) AS sats, COUNT(*) AS n FROM jobs WHERE paid_at IS NOT NULL "
                + "AND error_reason IS NOT ?", [.text(JobFailure.paymentUnverified)])
        let durations = try database.query(
            "SELECT ready_at - provisioning_started_at AS ms FROM jobs WHERE ready_at IS NOT NULL ORDER BY ms"
        ).compactMap { $0.int("ms") }
        return JobStats(
            jobsByState: byState, paidJobs: taken?.int("n") ?? 0, satsTaken: taken?.int("sats") ?? 0,
            provisioningMilliseconds: durations)
    }

    /// Jobs in each state, with zero for a state no job is in (also read at each metrics scrape).
    func countsByState() throws -> [JobState: Int64] {
        var byState = Dictionary(uniqueKeysWithValues: JobState.allCases.map { ($0, Int64(0)) })
        for row in try database.query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state") {
            if let state = row.string("state").flatMap(JobState.init(rawValue:)) { byState[state] = row.int("n") ?? 0 }
        }
        return byState
    }
}
