import Foundation
import Protocol
import Testing

/// `GET /api/openapi.json`: a valid OpenAPI 3.1 document (checked by the reference
/// validator, openapi-spec-validator from PyPI, which contrib/setup-debian.sh installs),
/// and the daemon's live HTTP replies fit the response schemas it declares.
@Suite(.serialized)
struct OpenAPIDocumentTests {
    static let validator: String = {
        let environment = ProcessInfo.processInfo.environment
        let cache = environment["XDG_CACHE_HOME"] ?? ((environment["HOME"] ?? NSHomeDirectory()) + "/.cache")
        return (environment["TIMMY_OPENAPI_VENV"] ?? (cache + "/timmy-openapi/venv")) + "/bin/openapi-spec-validator"
    }()

    func fetchDocument(_ daemon: DaemonHarness) throws -> JSONValue {
        let response = try daemon.http("GET", "/api/openapi.json")
        #expect(response.status == 200)
        #expect(response.headers["content-type"] == "application/json")
        return try #require(response.json)
    }

    /// Runs openapi-spec-validator on `document`; its exit status and output.
    func validate(_ document: JSONValue, in daemon: DaemonHarness, name: String) throws -> CommandResult {
        guard FileManager.default.isExecutableFile(atPath: Self.validator) else {
            throw HarnessError("\(Self.validator) is missing: run contrib/setup-debian.sh (it installs openapi-spec-validator)")
        }
        let path = daemon.folder + "/" + name
        try document.serialized().write(toFile: path, atomically: true, encoding: .utf8)
        return try runProgram(Self.validator, [path])
    }

    @Test func theServedDocumentIsValidOpenAPI31AndCoversEveryRoute() throws {
        let daemon = try DaemonHarness().start()
        let document = try fetchDocument(daemon)
        #expect(document["openapi"] == "3.1.0")
        let checked = try validate(document, in: daemon, name: "openapi.json")
        #expect(checked.status == 0, "openapi-spec-validator: \(checked.stdout) \(checked.stderr)")

        let paths = try #require(document["paths"]?.objectValue)
        #expect(
            Set(paths.keys) == [
                "/api/info", "/api/bootstrap", "/api/bootstrap/{jobId}", "/api/bootstrap/{jobId}/events",
                "/api/bootstrap/{jobId}/key", "/api/bootstrap/{jobId}/key/confirm", "/api/bootstrap/{jobId}/cancel",
                "/api/bootstrap/{jobId}/refund", "/api/bootstrap/{jobId}/invoice.svg", "/api/nodes/{jobId}/setup", "/rpc",
                "/api/openapi.json",
            ])
        // The routes' schemas are the methods': the same as rpc.discover's, components and all.
        let discover = try daemon.call("rpc.discover")
        let statusMethod = discover["methods"]?.arrayValue?.first { $0["name"] == "bootstrap.status" }
        #expect(paths["/api/bootstrap/{jobId}"]?["get"]?["responses"]?["200"]?["content"]?["application/json"]?["schema"]
            == statusMethod?["result"]?["schema"])
        for (name, schema) in discover["components"]?["schemas"]?.objectValue ?? [:] {
            #expect(document["components"]?["schemas"]?[name] == schema, "components.schemas.\(name)")
        }
        // Error statuses come from HTTPErrorMapping: a job route can answer 401 (bad_token) and 404.
        let statusResponses = paths["/api/bootstrap/{jobId}"]?["get"]?["responses"]?.objectValue ?? [:]
        #expect(statusResponses["401"] != nil && statusResponses["404"] != nil)
        #expect(paths["/api/nodes/{jobId}/setup"]?["post"]?["responses"]?["204"] != nil)
    }

    @Test func theValidatorRefusesABrokenDocument() throws {
        let daemon = try DaemonHarness().start()
        var document = try #require(try fetchDocument(daemon).objectValue)
        // An operation without responses and a path parameter that is not declared.
        document["paths"] = ["/api/x/{id}": ["get": ["summary": "broken"]]]
        let checked = try validate(.object(document), in: daemon, name: "broken.json")
        #expect(checked.status != 0)
    }

    /// The response schema the document declares for `method path` and `status` (else `default`).
    func responseSchema(_ document: JSONValue, _ method: String, _ path: String, _ status: Int) -> JSONValue? {
        let responses = document["paths"]?[path]?[method.lowercased()]?["responses"]
        let response = responses?[String(status)] ?? responses?["default"]
        return response?["content"]?["application/json"]?["schema"]
    }

    @Test func liveHTTPRepliesMatchTheResponseSchemas() throws {
        let daemon = try DaemonHarness().start()
        let document = try fetchDocument(daemon)
        let validator = JSONSchemaValidator(root: document)
        var seen: [Int] = []
        func check(_ response: CurlResponse, _ method: String, _ path: String) throws {
            seen.append(response.status)
            let schema = try #require(responseSchema(document, method, path, response.status), "\(method) \(path) \(response.status)")
            let body = try #require(response.json, "\(method) \(path) answered no JSON")
            let problems = validator.validate(body, against: schema)
            #expect(problems.isEmpty, "\(method) \(path) \(response.status): \(problems)")
        }
        let info = try daemon.http("GET", "/api/info")
        try check(info, "GET", "/api/info")
        let created = try daemon.http("POST", "/api/bootstrap", body: #"{"label":"openapi"}"#)
        try check(created, "POST", "/api/bootstrap")
        let job = try CreateJobResult(json: try #require(created.json))
        let statusPath = "/api/bootstrap/" + job.jobId
        try check(try daemon.http("GET", statusPath, token: job.accessToken), "GET", "/api/bootstrap/{jobId}")
        try check(try daemon.http("GET", statusPath, token: "tat_wrong"), "GET", "/api/bootstrap/{jobId}")
        try check(try daemon.http("GET", "/api/bootstrap/nope", token: "tat_wrong"), "GET", "/api/bootstrap/{jobId}")
        try check(try daemon.http("POST", statusPath + "/key", token: job.accessToken), "POST", "/api/bootstrap/{jobId}/key")
        try check(try daemon.http("POST", statusPath + "/cancel", token: job.accessToken), "POST", "/api/bootstrap/{jobId}/cancel")
        try check(try daemon.http("POST", "/api/bootstrap", body: #"{"label":7}"#), "POST", "/api/bootstrap")
        #expect(seen == [200, 201, 200, 401, 404, 409, 200, 400])
    }
}
