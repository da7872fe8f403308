import Protocol

/// Finds the job a buyer's credentials name, if the token matches.
struct JobAuthorizer: Sendable {
    let store: JobStore

    /// Unknown id: `not_found`; known id with the wrong token: `bad_token`. Neither changes anything.
    func job(_ credentials: JobCredentials) throws -> JobRecord {
        guard JobIdentifier.isWellFormed(credentials.jobId), let job = try store.job(id: credentials.jobId) else {
            throw JSONRPCError.application(.notFound, "No job with that id.")
        }
        let presented = SHA256Digest.hash(Array(credentials.accessToken.utf8))
        guard let stored = [UInt8](hexString: job.accessTokenHash), constantTimeEquals(presented, stored) else {
            throw JSONRPCError.application(.badToken, "The access token does not match this job.")
        }
        return job
    }
}
