import NIOHTTP1
import Protocol
import Testing
@testable import timmyd

/// The HTTP side's pure parts, as plain values: framing by first byte, the route
/// table, the error-to-status table, the client address, the event framing.
@Suite struct HTTPRoutingTests {
    static let id = "0b9e4f5c-3f9a-4c1e-9d2b-7a6e5f4d3c2b"

    @Test func firstByteChoosesTheFraming() {
        for byte in Array("{[ \t\r\n".utf8) { #expect(ProtocolSniffer.framing(ofFirstByte: byte) == .jsonRPC) }
        for byte in Array("GPHDOacz".utf8) { #expect(ProtocolSniffer.framing(ofFirstByte: byte) == .http) }
        for byte: UInt8 in [0, 1, 0x16, 0x7F, 0xFF, UInt8(ascii: "1"), UInt8(ascii: "<"), UInt8(ascii: "\"")] {
            #expect(ProtocolSniffer.framing(ofFirstByte: byte) == nil, "\(byte)")
        }
    }

    @Test func routesMatchMethodAndPath() {
        let cases: [(HTTPMethod, String, HTTPRoute)] = [
            (.GET, "/api/info", .info), (.POST, "/api/bootstrap", .create), (.POST, "/rpc", .rpc),
            (.GET, "/api/bootstrap/\(Self.id)", .status(jobID: Self.id)),
            (.GET, "/api/bootstrap/\(Self.id)/events", .events(jobID: Self.id)),
            (.POST, "/api/bootstrap/\(Self.id)/key", .claimKey(jobID: Self.id)),
            (.POST, "/api/bootstrap/\(Self.id)/key/confirm", .confirmKey(jobID: Self.id)),
            (.POST, "/api/bootstrap/\(Self.id)/cancel", .cancel(jobID: Self.id)),
            (.POST, "/api/bootstrap/\(Self.id)/refund", .refund(jobID: Self.id)),
            (.GET, "/api/bootstrap/\(Self.id)/invoice.svg", .invoiceSVG(jobID: Self.id)),
            (.GET, "/api/info?cache=bust", .info),
            (.POST, "/api/nodes/\(Self.id)/setup", .nodeSetup(jobID: Self.id)),
        ]
        for (method, uri, route) in cases {
            #expect(HTTPRoute.match(method: method, uri: uri) == .success(route), "\(method) \(uri)")
        }
    }

    @Test func wrongMethodNamesTheRightOneAndUnknownPathsAreNotFound() {
        #expect(HTTPRoute.match(method: .GET, uri: "/api/bootstrap") == .failure(.methodNotAllowed(allowed: .POST)))
        #expect(HTTPRoute.match(method: .POST, uri: "/api/info") == .failure(.methodNotAllowed(allowed: .GET)))
        #expect(HTTPRoute.match(method: .GET, uri: "/api/bootstrap/x/key") == .failure(.methodNotAllowed(allowed: .POST)))
        #expect(HTTPRoute.match(method: .GET, uri: "/api/bootstrap/x/key/confirm") == .failure(.methodNotAllowed(allowed: .POST)))
        #expect(HTTPRoute.match(method: .GET, uri: "/api/nodes/x/setup") == .failure(.methodNotAllowed(allowed: .POST)))
        #expect(HTTPRoute.match(method: .POST, uri: "/api/nodes/x") == .failure(.notFound))
        #expect(HTTPRoute.match(method: .POST, uri: "/api/nodes//setup") == .failure(.notFound))
        for uri in ["", "/", "/api", "/api/", "/api/info/", "/api/bootstrap/", "/api/bootstrap//key", "/api/bootstrap/x/y/z", "*",
            "/api/bootstrap//key/confirm", "/api/bootstrap/x/cancel/confirm", "/api/bootstrap/x/key/confirm/",
            "http://host/api/info", "/API/INFO"]
        {
            #expect(HTTPRoute.match(method: .GET, uri: uri) == .failure(.notFound), "\(uri)")
        }
    }

    @Test func everyApplicationErrorHasAStatus() {
        let statuses = ApplicationErrorReason.allCases.map { HTTPErrorMapping.status(for: $0) }
        #expect(statuses.allSatisfy { (400...599).contains($0.code) })
        #expect(HTTPErrorMapping.status(for: .application(.badToken, "x")) == .unauthorized)
        #expect(HTTPErrorMapping.status(for: .application(.keyAlreadyClaimed, "x")) == .conflict)
        #expect(HTTPErrorMapping.status(for: .application(.fingerprintMismatch, "x")) == .conflict)
        #expect(HTTPErrorMapping.status(for: .application(.keyNotClaimed, "x")) == .conflict)
        #expect(HTTPErrorMapping.status(for: .application(.tooManyUnpaid, "x")) == .tooManyRequests)
        #expect(HTTPErrorMapping.status(for: .application(.upstreamUnavailable, "x")) == .serviceUnavailable)
        #expect(HTTPErrorMapping.status(for: .parseError("x")) == .badRequest)
        #expect(HTTPErrorMapping.status(for: .invalidParams("x")) == .badRequest)
        #expect(HTTPErrorMapping.status(for: .methodNotFound("bootstrap.refund")) == .notImplemented)
        #expect(HTTPErrorMapping.status(for: .internalError()) == .internalServerError)
    }

    @Test func clientAddressComesFromTheProxyOnlyWhenTrusted() {
        var headers = HTTPHeaders([("X-Forwarded-For", "203.0.113.5")])
        #expect(ClientAddress.of(headers, trustForwardedFor: false) == "unix")
        #expect(ClientAddress.of(headers, trustForwardedFor: true) == "203.0.113.5")
        headers = HTTPHeaders([("X-Forwarded-For", "10.0.0.1, 203.0.113.6")])
        #expect(ClientAddress.of(headers, trustForwardedFor: true) == "203.0.113.6")
        headers = HTTPHeaders([("X-Forwarded-For", "2001:DB8::1")])
        // IPv6 counts by its /64 (see ClientAddressGroupingTests).
        #expect(ClientAddress.of(headers, trustForwardedFor: true) == "2001:db8:0:0::/64")
        for junk in ["", "unknown", "1.2.3.4; drop", String(repeating: "1", count: 60), "1234"] {
            #expect(ClientAddress.of(HTTPHeaders([("X-Forwarded-For", junk)]), trustForwardedFor: true) == "unix", "\(junk)")
        }
        #expect(ClientAddress.of(HTTPHeaders(), trustForwardedFor: true) == "unix")
    }

    @Test func bearerTokenIsReadFromTheAuthorizationHeader() {
        func token(_ value: String?) -> String? {
            var headers = HTTPHeaders()
            if let value { headers.add(name: "Authorization", value: value) }
            return IncomingHTTPRequest(method: .GET, uri: "/", headers: headers, body: []).bearerToken
        }
        #expect(token("Bearer tat_abc") == "tat_abc")
        #expect(token("bearer  tat_abc ") == "tat_abc")
        #expect(token("Basic dXNlcjpwYXNz") == nil)
        #expect(token("Bearer ") == nil)
        #expect(token(nil) == nil)
    }

    @Test func eventsAreOneDataLineEach() {
        let text = ServerSentEvents.event("status", data: ["state": "ready", "message": "two\nlines"])
        #expect(text.hasPrefix("event: status\ndata: {"))
        #expect(text.hasSuffix("}\n\n"))
        #expect(text.split(separator: "\n").count == 2)
    }
}
