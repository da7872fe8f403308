/// Sends one HTTP request. `HTTPClient` (libcurl) in the daemon; canned replies
/// in unit tests, so the cloud clients can be tested without a server.
protocol HTTPTransport: Sendable {
    func send(_ request: HTTPRequest) async throws -> HTTPResponse
}

extension HTTPClient: HTTPTransport {}

/// Waits between attempts. Injected so unit tests record the waits instead of sleeping.
typealias RetrySleeper = @Sendable (_ milliseconds: Int64) async throws -> Void

enum RetrySleepers {
    static let real: RetrySleeper = { milliseconds in
        try await Task.sleep(for: .milliseconds(milliseconds))
    }
}
