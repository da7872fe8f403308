import NIOHTTP1
import Protocol
import Testing
@testable import timmyd

/// The OpenAPI document is made from the route table and an OpenRPC document; these
/// pin that it follows both instead of saying something of its own.
@Suite struct OpenAPIGenerationTests {
    @Test func everyDocumentedPathIsTheRouteItDocuments() {
        // The samples' job id is the literal "{jobId}", a segment the router accepts as any other.
        for route in HTTPRoute.documented {
            let documentation = route.documentation
            #expect(HTTPRoute.match(method: documentation.method, uri: documentation.path) == .success(route), "\(documentation.path)")
        }
        #expect(Set(HTTPRoute.documented.map { $0.documentation.path + " " + $0.documentation.method.rawValue }).count == HTTPRoute.documented.count)
    }

    let openRPC: JSONValue = [
        "info": ["version": "9.9"],
        "methods": [
            [
                "name": "bootstrap.refund", "summary": "Refund.",
                "params": [
                    ["name": "jobId", "required": true, "schema": ["type": "string", "minLength": 36]],
                    ["name": "accessToken", "required": true, "schema": ["type": "string"]],
                    ["$ref": "#/components/contentDescriptors/Bolt11"],
                ],
                "result": ["name": "status", "schema": ["$ref": "#/components/schemas/JobStatus"]],
                "errors": [["code": -32003, "message": "bad token"], ["code": -32099, "message": "x", "data": ["reason": "refund_failed"]]],
            ]
        ],
        "components": [
            "schemas": ["JobStatus": ["type": "object", "required": ["state"]]],
            "contentDescriptors": ["Bolt11": ["name": "bolt11", "required": true, "schema": ["type": "string"]]],
        ],
    ]

    @Test func aRouteTakesItsMethodsSchemasErrorsAndComponents() {
        let document = OpenAPIDocument.make(openRPC: openRPC)
        #expect(document["openapi"] == "3.1.0")
        #expect(document["info"]?["version"] == "9.9")
        #expect(document["components"]?["schemas"]?["JobStatus"] == ["type": "object", "required": ["state"]])
        let refund = document["paths"]?["/api/bootstrap/{jobId}/refund"]?["post"]
        #expect(refund?["parameters"]?.arrayValue?.first?["schema"] == ["type": "string", "minLength": 36])
        #expect(
            refund?["requestBody"]?["content"]?["application/json"]?["schema"]
                == ["type": "object", "properties": ["bolt11": ["type": "string"]], "required": ["bolt11"]])
        #expect(
            refund?["responses"]?["200"]?["content"]?["application/json"]?["schema"] == ["$ref": "#/components/schemas/JobStatus"])
        // bad_token by code, refund_failed by reason: 401 and 502, with 400 and 500 always.
        let statuses = Set(refund?["responses"]?.objectValue?.keys.map { $0 } ?? [])
        #expect(statuses == ["200", "400", "401", "500", "502", "default"])
        #expect(refund?["security"] == [["jobToken": []]])
        // A method the OpenRPC document does not list still gets its route, with a plain object.
        #expect(document["paths"]?["/api/info"]?["get"]?["responses"]?["200"] != nil)
        #expect(document["paths"]?["/api/nodes/{jobId}/setup"]?["post"]?["security"] == [["nodeToken": []]])
    }
}
