import Protocol

/// Typed calls to the DigitalOcean API v2: account SSH keys, volumes, droplets.
///
/// Every call has a timeout and goes through the retry policy; lookups and
/// deletes are retried freely, creates only when the answer proves nothing was
/// made (see `RetryPolicy`). The token travels only in the `Authorization`
/// header and never appears in an error or a log line.
struct DigitalOceanClient: Sendable {
    let baseURL: String
    let token: Secret
    private(set) var http: RetryingTransport
    var timeoutMilliseconds = 30_000

    init(baseURL: String, token: Secret, transport: HTTPTransport, policy: RetryPolicy = RetryPolicy(), timeoutMilliseconds: Int = 30_000) {
        var url = baseURL
        while url.hasSuffix("/") { url.removeLast() }
        self.baseURL = url
        self.token = token
        self.http = RetryingTransport(transport: transport, policy: policy)
        self.timeoutMilliseconds = timeoutMilliseconds
    }

    /// The most items one listing page asks for (DigitalOcean's own maximum).
    static let pageSize = 200

    // MARK: SSH keys

    func createSSHKey(name: String, publicKey: String) async throws(DigitalOceanError) -> DOSSHKey {
        let reply = try await call("POST", "/v2/account/keys", body: ["name": .string(name), "public_key": .string(publicKey)])
        return try DOSSHKey(json: try member(reply, "ssh_key"))
    }

    /// The key with this id or fingerprint, nil if the account has none.
    func sshKey(_ idOrFingerprint: String) async throws(DigitalOceanError) -> DOSSHKey? {
        do {
            return try DOSSHKey(json: try member(try await call("GET", "/v2/account/keys/\(Self.escape(idOrFingerprint))"), "ssh_key"))
        } catch where error.isNotFound {
            return nil
        }
    }

    func sshKeys() async throws(DigitalOceanError) -> [DOSSHKey] {
        var keys: [DOSSHKey] = []
        for item in try await list("/v2/account/keys", member: "ssh_keys") { keys.append(try DOSSHKey(json: item)) }
        return keys
    }

    /// Deletes a key; one that is already gone counts as deleted.
    func deleteSSHKey(_ idOrFingerprint: String) async throws(DigitalOceanError) {
        try await delete("/v2/account/keys/\(Self.escape(idOrFingerprint))")
    }

    // MARK: Volumes

    func createVolume(name: String, region: String, sizeGigabytes: Int64, tags: [String], description: String) async throws(DigitalOceanError) -> DOVolume {
        let body: JSONValue = [
            "name": .string(name), "region": .string(region), "size_gigabytes": .int(sizeGigabytes),
            "tags": .array(tags.map(JSONValue.string)), "description": .string(description),
        ]
        return try DOVolume(json: try member(try await call("POST", "/v2/volumes", body: body), "volume"))
    }

    /// Volumes with this name in this region (at most one: DigitalOcean keeps names unique per region).
    func volumes(named name: String, region: String) async throws(DigitalOceanError) -> [DOVolume] {
        let reply = try await call("GET", "/v2/volumes?name=\(Self.escape(name))&region=\(Self.escape(region))")
        var volumes: [DOVolume] = []
        for item in try member(reply, "volumes").arrayValue ?? [] { volumes.append(try DOVolume(json: item)) }
        return volumes
    }

    func volumes() async throws(DigitalOceanError) -> [DOVolume] {
        var volumes: [DOVolume] = []
        for item in try await list("/v2/volumes", member: "volumes") { volumes.append(try DOVolume(json: item)) }
        return volumes
    }

    func deleteVolume(_ id: String) async throws(DigitalOceanError) {
        try await delete("/v2/volumes/\(Self.escape(id))")
    }

    // MARK: Droplets

    /// `POST /v2/droplets`: answers 202 with the droplet in status `new`.
    func createDroplet(_ request: DODropletRequest) async throws(DigitalOceanError) -> DODroplet {
        try DODroplet(json: try member(try await call("POST", "/v2/droplets", body: request.json), "droplet"))
    }

    /// The droplet with this id, nil if there is none.
    func droplet(_ id: String) async throws(DigitalOceanError) -> DODroplet? {
        do {
            return try DODroplet(json: try member(try await call("GET", "/v2/droplets/\(Self.escape(id))"), "droplet"))
        } catch where error.isNotFound {
            return nil
        }
    }

    /// Droplets carrying `tag` (every droplet when nil).
    func droplets(tagged tag: String? = nil) async throws(DigitalOceanError) -> [DODroplet] {
        let path = tag.map { "/v2/droplets?tag_name=\(Self.escape($0))" } ?? "/v2/droplets"
        var droplets: [DODroplet] = []
        for item in try await list(path, member: "droplets") { droplets.append(try DODroplet(json: item)) }
        return droplets
    }

    func deleteDroplet(_ id: String) async throws(DigitalOceanError) {
        try await delete("/v2/droplets/\(Self.escape(id))")
    }

    /// This client with one attempt per call, for a quick check that should not hold anything up.
    func withoutRetries() -> DigitalOceanClient {
        var copy = self
        copy.http = http.singleAttempt
        return copy
    }

    // MARK: Requests (internal for tests)

    func request(_ method: String, _ path: String, body: JSONValue? = nil) -> HTTPRequest {
        .jsonAPI(
            method, url: baseURL + path, credential: ("Authorization", "Bearer " + token.reveal()), body: body,
            timeoutMilliseconds: timeoutMilliseconds)
    }

    // MARK: Replies

    private func call(_ method: String, _ path: String, body: JSONValue? = nil) async throws(DigitalOceanError) -> JSONValue {
        let response = try await exchange(request(method, path, body: body), idempotent: method != "POST")
        guard !response.body.isEmpty else { return .object([:]) }
        guard let json = try? JSONValue.parse(response.body) else {
            throw .malformedReply("a \(response.status) answer that is not JSON")
        }
        return json
    }

    private func delete(_ path: String) async throws(DigitalOceanError) {
        do {
            _ = try await exchange(request("DELETE", path), idempotent: true)
        } catch where error.isNotFound {
            return  // already gone: deleting is done
        }
    }

    /// Every item of a paged listing.
    private func list(_ path: String, member name: String) async throws(DigitalOceanError) -> [JSONValue] {
        var items: [JSONValue] = []
        var page = 1
        let separator = path.contains("?") ? "&" : "?"
        while true {
            let reply = try await call("GET", path + "\(separator)per_page=\(Self.pageSize)&page=\(page)")
            let batch = try member(reply, name).arrayValue ?? []
            items += batch
            let total = reply["meta"]?["total"]?.intValue
            let hasNext = reply["links"]?["pages"]?["next"]?.stringValue != nil
            guard !batch.isEmpty, hasNext || (total.map { Int64(items.count) < $0 } ?? false), page < 500 else { break }
            page += 1
        }
        return items
    }

    private func exchange(_ request: HTTPRequest, idempotent: Bool) async throws(DigitalOceanError) -> HTTPResponse {
        let response: HTTPResponse
        do {
            response = try await http.send(request, idempotent: idempotent)
        } catch let error as HTTPTransportError {
            throw error.isTimeout ? .timeout : .transport(error.message)
        } catch {
            throw .transport("\(error)")
        }
        guard (200..<300).contains(response.status) else { throw Self.error(from: response, scrubbing: token) }
        return response
    }

    /// DigitalOcean's error body `{id, message, request_id?}` as an error, the token scrubbed from it.
    static func error(from response: HTTPResponse, scrubbing token: Secret) -> DigitalOceanError {
        let json = try? JSONValue.parse(response.body)
        var message = json?["message"]?.stringValue ?? String(response.bodyText.prefix(300))
        let secret = token.reveal()
        if !secret.isEmpty { message = message.replacing(secret, with: "<redacted>") }
        return .api(
            status: response.status, id: json?["id"]?.stringValue ?? "http_\(response.status)",
            message: String(message.prefix(300)), requestID: json?["request_id"]?.stringValue)
    }

    private func member(_ reply: JSONValue, _ name: String) throws(DigitalOceanError) -> JSONValue {
        guard let value = reply[name] else { throw .malformedReply("answer without `\(name)`") }
        return value
    }

    /// Percent-encodes everything but unreserved characters and `:` (RFC 3986 allows it in
    /// paths and queries; SSH key fingerprints are colon-separated).
    static func escape(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: ":"):
                out.append(Character(Unicode.Scalar(byte)))
            default:
                let digits = Array("0123456789ABCDEF")
                out += "%" + String(digits[Int(byte >> 4)]) + String(digits[Int(byte & 15)])
            }
        }
        return out
    }
}
