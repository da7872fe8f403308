import Foundation
import NIOPosix
import Testing

@testable import timmyd

/// The libcurl client against a small loopback HTTP server (Python's standard library).
@Suite(.serialized) struct HTTPClientTests {
    static let serverScript = #"""
    import http.server, sys, time
    class H(http.server.BaseHTTPRequestHandler):
        def log_message(self, *a): pass
        def reply(self, code, body, headers=()):
            self.send_response(code)
            for k, v in headers: self.send_header(k, v)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        def do_GET(self):
            if self.path == "/slow": time.sleep(3)
            if self.path == "/big": return self.reply(200, b"x" * 200000)
            self.reply(429 if self.path == "/limited" else 200, b'{"ok":true}', [("Retry-After", "7"), ("X-Test", "yes")])
        def do_DELETE(self):
            self.send_response(204)
            self.send_header("X-Method", self.command)
            self.end_headers()
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            self.reply(201, body + b"|" + self.headers.get("Authorization", "").encode())
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
    print(server.server_address[1], flush=True)
    import threading, os
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # the test closed our stdin (or died): stop
    os._exit(0)
    """#

    let server: Process
    let serverInput = Pipe()
    let baseURL: String
    let pool: NIOThreadPool

    init() throws {
        server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-c", Self.serverScript]
        let output = Pipe()
        server.standardOutput = output
        server.standardInput = serverInput
        try server.run()
        let port = String(decoding: output.fileHandleForReading.availableData, as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        baseURL = "http://127.0.0.1:\(port)"
        HTTPClient.initializeLibrary()
        pool = NIOThreadPool(numberOfThreads: 2)
        pool.start()
    }

    func finish() {
        try? serverInput.fileHandleForWriting.close()
        server.waitUntilExit()
        try? pool.syncShutdownGracefully()
    }

    @Test func getReturnsStatusHeadersAndBody() async throws {
        defer { finish() }
        let client = HTTPClient(threadPool: pool)
        let response = try await client.send(HTTPRequest(method: "GET", url: baseURL + "/ok"))
        #expect(response.status == 200)
        #expect(response.headers["x-test"] == "yes")
        #expect(response.headers["retry-after"] == "7")
        #expect(response.bodyText == #"{"ok":true}"#)
        let limited = try await client.send(HTTPRequest(method: "GET", url: baseURL + "/limited"))
        #expect(limited.status == 429)
    }

    @Test func postSendsBodyAndHeaders() async throws {
        defer { finish() }
        let client = HTTPClient(threadPool: pool)
        let response = try await client.send(
            HTTPRequest(method: "POST", url: baseURL + "/echo", headers: [("Authorization", "Bearer t")], body: Array("hello".utf8)))
        #expect(response.status == 201)
        #expect(response.bodyText == "hello|Bearer t")
    }

    @Test func deleteGetsAnEmptyAnswerWithItsHeaders() async throws {
        defer { finish() }
        let client = HTTPClient(threadPool: pool)
        let response = try await client.send(HTTPRequest(method: "DELETE", url: baseURL + "/v2/droplets/1"))
        #expect(response.status == 204)
        #expect(response.body.isEmpty)
        #expect(response.headers["x-method"] == "DELETE")
    }

    @Test func slowServerTimesOut() async throws {
        defer { finish() }
        let client = HTTPClient(threadPool: pool)
        await #expect(throws: HTTPTransportError.self) {
            try await client.send(HTTPRequest(method: "GET", url: baseURL + "/slow", timeoutMilliseconds: 300))
        }
        do {
            _ = try await client.send(HTTPRequest(method: "GET", url: baseURL + "/slow", timeoutMilliseconds: 300))
        } catch let error as HTTPTransportError {
            #expect(error.isTimeout)
        }
    }

    @Test func oversizedBodyIsRefused() async throws {
        defer { finish() }
        var client = HTTPClient(threadPool: pool)
        client.maximumResponseBytes = 100_000
        do {
            _ = try await client.send(HTTPRequest(method: "GET", url: baseURL + "/big"))
            Issue.record("a 200 kB body passed a 100 kB limit")
        } catch let error as HTTPTransportError {
            #expect(error.message.contains("larger than"))
        }
    }

    @Test func refusedConnectionIsATransportError() async throws {
        defer { finish() }
        let client = HTTPClient(threadPool: pool)
        await #expect(throws: HTTPTransportError.self) {
            try await client.send(HTTPRequest(method: "GET", url: "http://127.0.0.1:1/", timeoutMilliseconds: 2000))
        }
    }
}
