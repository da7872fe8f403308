import Logging
import Protocol

/// Takes a node's setup report (`POST /api/nodes/{jobId}/setup`): checks the node token,
/// then the report, then that the job has a node, and records it. A refused report
/// records nothing.
///
/// - Important: an unknown job and a wrong or missing token get the same answer, after
///   the same work (a hash compared in constant time), so the route tells a caller
///   nothing about which job ids exist.
struct NodeSetupReceiver: Sendable {
    let store: JobStore
    let logger: Logger

    func receive(jobID: String, token: String?, body: [UInt8]) throws(JSONRPCError) -> JobRecord {
        let job: JobRecord?
        do {
            job = JobIdentifier.isWellFormed(jobID) ? try store.job(id: jobID) : nil
        } catch {
            logger.error("node setup report: store error", metadata: ["job": "\(jobID.prefix(36))", "error": "\(error)"])
            throw .internalError()
        }
        guard NodeToken.matches(token, storedHash: job?.nodeTokenHash), let job, let tokenHash = job.nodeTokenHash else {
            throw Self.unauthorized
        }
        let report = try NodeSetupReport.parse(body: body, at: .now())
        let recorded: JobRecord?
        do {
            recorded = try store.recordSetupReport(report, id: job.id, tokenHash: tokenHash)
        } catch {
            logger.error("node setup report: store error", metadata: ["job": "\(job.id)", "error": "\(error)"])
            throw .internalError()
        }
        guard let recorded else {
            let current = ((try? store.job(id: job.id)) ?? nil) ?? job
            if current.setupReportCount >= NodeSetupReport.maximumPerNode {
                // A conflict, not a retryable 429: the node's script drops it rather than trying again.
                throw .application(
                    .wrongState, "This node has sent the most setup reports one node may send.",
                    extra: ["state": current.state.json, "limit": .int(NodeSetupReport.maximumPerNode)])
            }
            throw .application(
                .wrongState, "This job has no node to report on; it is \(current.state.rawValue).",
                extra: ["state": current.state.json])
        }
        logger.info(
            "node setup report",
            metadata: ["job": "\(job.id)", "step": "\(report.step.rawValue)", "state": "\(report.state.rawValue)"])
        return recorded
    }

    static let unauthorized = JSONRPCError.application(
        .badToken, "This needs the job's node token in an Authorization: Bearer header.")
}
