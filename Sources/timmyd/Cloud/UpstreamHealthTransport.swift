import NIOConcurrencyHelpers

/// How the calls to one upstream went, shared between the transport that records
/// them and the alert checks that read them.
final class UpstreamHealth: Sendable {
    private let state = NIOLockedValueBox(BackendHealth())

    var current: BackendHealth { state.withLockedValue { $0 } }

    func record(_ failure: String?) {
        state.withLockedValue { health in
            if let failure { health.recordFailure(failure) } else { health.recordSuccess() }
        }
    }
}

/// Records every cloud API call's outcome in an `UpstreamHealth`: no answer, 429 or a
/// 5xx is a failure (the API is not serving); any other answer means it is up, even
/// one refusing the request.
struct UpstreamHealthTransport: HTTPTransport {
    let transport: HTTPTransport
    let health: UpstreamHealth

    func send(_ request: HTTPRequest) async throws -> HTTPResponse {
        do {
            let response = try await transport.send(request)
            health.record(response.status == 429 || response.status >= 500 ? "HTTP \(response.status)" : nil)
            return response
        } catch {
            health.record("no answer")
            throw error
        }
    }
}
