import Protocol

extension JobStore {
    /// How many jobs are in each state (states with none are absent).
    func countsByState() throws -> [JobState: Int64] {
        var counts: [JobState: Int64] = [:]
        for row in try database.query("SELECT state, COUNT(*) AS n FROM jobs GROUP BY state") {
            if let state = row.string("state").flatMap(JobState.init(rawValue:)) { counts[state] = row.int("n") ?? 0 }
        }
        return counts
    }
}
