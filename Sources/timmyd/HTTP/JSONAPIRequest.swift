import Protocol

extension HTTPRequest {
    /// A call to a JSON API: its credential header, `Accept: application/json`, and
    /// the body serialized by the project's JSON layer when there is one.
    static func jsonAPI(
        _ method: String, url: String, credential: (name: String, value: String), body: JSONValue? = nil,
        timeoutMilliseconds: Int
    ) -> HTTPRequest {
        var headers = [(credential.name, credential.value), ("Accept", "application/json")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        return HTTPRequest(
            method: method, url: url, headers: headers, body: body.map { Array($0.serialized().utf8) },
            timeoutMilliseconds: timeoutMilliseconds)
    }
}
