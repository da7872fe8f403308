import Protocol

/// A one-off auth key as created. `key` is the secret, returned by Tailscale only once.
struct TailscaleAuthKey: Sendable {
    var id: String
    var key: Secret
    var expires: String?
}

/// A key as the listing shows it (no secret).
struct TailscaleKeyInfo: Sendable, Equatable {
    var id: String
    var description: String
    var revoked: Bool
}

/// Calls to the Tailscale API v2 for per-node auth keys: one-off (not reusable),
/// pre-authorised, tagged, short-lived; revoked when the node is not built.
struct TailscaleClient: Sendable {
    let baseURL: String
    let apiKey: Secret
    let tailnet: String
    private(set) var http: RetryingTransport
    var timeoutMilliseconds = 30_000

    init(
        baseURL: String, apiKey: Secret, tailnet: String, transport: HTTPTransport, policy: RetryPolicy = RetryPolicy(),
        timeoutMilliseconds: Int = 30_000
    ) {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
        self.apiKey = apiKey
        self.tailnet = tailnet
        self.http = RetryingTransport(transport: transport, policy: policy)
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    private var keysPath: String { "/api/v2/tailnet/\(DigitalOceanClient.escape(tailnet))/keys" }

    /// `POST …/keys`. `description`: at most 50 letters, digits, spaces and hyphens.
    func createAuthKey(tags: [String], expirySeconds: Int64, description: String) async throws(TailscaleError) -> TailscaleAuthKey {
        let body: JSONValue = [
            "capabilities": [
                "devices": [
                    "create": [
                        "reusable": false, "ephemeral": false, "preauthorized": true,
                        "tags": .array(tags.map(JSONValue.string)),
                    ]
                ]
            ],
            "expirySeconds": .int(expirySeconds), "description": .string(String(description.prefix(50))),
        ]
        let reply = try await call("POST", keysPath, body: body)
        guard let id = reply["id"]?.stringValue, let key = reply["key"]?.stringValue, key.hasPrefix("tskey-") else {
            throw .malformedReply("auth key answer without id or key")
        }
        return TailscaleAuthKey(id: id, key: Secret(key), expires: reply["expires"]?.stringValue)
    }

    /// The tailnet's keys (their ids and descriptions; never the secrets).
    func keys() async throws(TailscaleError) -> [TailscaleKeyInfo] {
        let reply = try await call("GET", keysPath)
        return (reply["keys"]?.arrayValue ?? []).compactMap { item in
            item["id"]?.stringValue.map {
                TailscaleKeyInfo(
                    id: $0, description: item["description"]?.stringValue ?? "",
                    revoked: item["revoked"]?.stringValue != nil || item["revoked"]?.boolValue == true)
            }
        }
    }

    /// Revokes a key; one that is already gone counts as revoked.
    func revokeKey(_ id: String) async throws(TailscaleError) {
        do {
            _ = try await call("DELETE", keysPath + "/" + DigitalOceanClient.escape(id))
        } catch where error.isNotFound {
            return
        }
    }

    /// This client with one attempt per call, for a quick check that should not hold anything up.
    func withoutRetries() -> TailscaleClient {
        var copy = self
        copy.http = http.singleAttempt
        return copy
    }

    // MARK: Requests and replies

    func request(_ method: String, _ path: String, body: JSONValue? = nil) -> HTTPRequest {
        .jsonAPI(
            method, url: baseURL + path, credential: ("Authorization", "Bearer " + apiKey.reveal()), body: body,
            timeoutMilliseconds: timeoutMilliseconds)
    }

    private func call(_ method: String, _ path: String, body: JSONValue? = nil) async throws(TailscaleError) -> JSONValue {
        let response: HTTPResponse
        do {
            response = try await http.send(request(method, path, body: body), idempotent: method != "POST")
        } catch let error as HTTPTransportError {
            throw error.isTimeout ? .timeout : .transport(error.message)
        } catch {
            throw .transport("\(error)")
        }
        guard (200..<300).contains(response.status) else { throw Self.error(from: response, scrubbing: apiKey) }
        guard !response.body.isEmpty else { return .object([:]) }
        guard let json = try? JSONValue.parse(response.body) else {
            throw .malformedReply("a \(response.status) answer that is not JSON")
        }
        return json
    }

    static func error(from response: HTTPResponse, scrubbing key: Secret) -> TailscaleError {
        let json = try? JSONValue.parse(response.body)
        var message = json?["message"]?.stringValue ?? String(response.bodyText.prefix(300))
        let secret = key.reveal()
        if !secret.isEmpty { message = message.replacing(secret, with: "<redacted>") }
        return .api(status: response.status, message: String(message.prefix(300)))
    }
}
