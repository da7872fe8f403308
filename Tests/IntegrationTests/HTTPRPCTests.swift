import Foundation
import Protocol
import Testing

/// `POST /rpc`, and the two framings sharing one socket.
@Suite struct HTTPRPCTests {
    @Test func rpcOverHTTPServesPublicMethodsOnly() throws {
        let daemon = try DaemonHarness().start()
        let info = try daemon.http("POST", "/rpc", body: #"{"jsonrpc":"2.0","id":7,"method":"daemon.info"}"#)
        #expect(info.status == 200)
        #expect(info.json?["id"] == 7)
        #expect(info.json?["result"]?["caller"]?["role"] == "client")

        // The test runs as root: an admin on the raw socket, never over HTTP.
        #expect((try? daemon.call("admin.jobs.list")) != nil)
        for method in ["admin.jobs.list", "admin.stats", "admin.payments.simulate"] {
            let refused = try daemon.http("POST", "/rpc", body: #"{"jsonrpc":"2.0","id":1,"method":"\#(method)","params":{}}"#)
            #expect(refused.status == 200, "\(method)")
            #expect(refused.json?["error"]?["data"]?["reason"] == "forbidden", "\(method)")
        }
        // Also inside a batch, next to a public method that is answered.
        let batch = try daemon.http(
            "POST", "/rpc",
            body: #"[{"jsonrpc":"2.0","id":1,"method":"admin.stats"},{"jsonrpc":"2.0","id":2,"method":"rpc.discover"}]"#)
        let replies = try #require(batch.json?.arrayValue)
        #expect(replies.count == 2)
        #expect(replies.first { $0["id"] == 1 }?["error"]?["data"]?["reason"] == "forbidden")
        #expect(replies.first { $0["id"] == 2 }?["result"] != nil)
    }

    @Test func watchOverRPCPointsToTheEventStream() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.httpCreate()
        let watch = try daemon.http(
            "POST", "/rpc",
            body: #"{"jsonrpc":"2.0","id":1,"method":"bootstrap.watch","params":{"jobId":"\#(job.jobId)","accessToken":"\#(job.accessToken)"}}"#)
        #expect(watch.status == 200)
        #expect(watch.json?["error"]?["data"]?["reason"] == "not_over_http")
        #expect(watch.json?["error"]?["message"]?.stringValue?.contains("/events") == true)
    }

    @Test func rpcNotificationsGetNoContentAndBadJSONGetsAParseError() throws {
        let daemon = try DaemonHarness().start()
        let notification = try daemon.http("POST", "/rpc", body: #"{"jsonrpc":"2.0","method":"daemon.info"}"#)
        #expect(notification.status == 204)
        #expect(notification.body.isEmpty)
        let bad = try daemon.http("POST", "/rpc", body: "{")
        #expect(bad.status == 200)
        #expect(bad.json?["error"]?["code"] == .int(Int64(JSONRPCError.parseErrorCode)))
    }

    @Test func jsonRPCStillWorksOnTheSameSocket() throws {
        let daemon = try DaemonHarness().start()
        _ = try daemon.http("GET", "/api/info")
        #expect(try daemon.call("daemon.info")["caller"]?["role"] == "admin")
        // Leading whitespace still means JSON-RPC.
        let raw = try RawSocket(path: daemon.socketPath)
        raw.send(" \n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"daemon.info\"}\n")
        shutdown(raw.descriptor, Int32(SHUT_WR))
        let reply = String(decoding: try #require(raw.readToEnd()), as: UTF8.self)
        #expect(reply.hasPrefix("{"))
        #expect(try JSONValue.parse(reply)["result"]?["version"] != nil)
    }

    @Test func aConnectionStartingWithGarbageIsClosedUnanswered() throws {
        let daemon = try DaemonHarness().start()
        for start in [[UInt8(0x01)], [UInt8(0x16), 0x03, 0x01], Array("<xml>".utf8), Array("1234".utf8)] {
            let raw = try RawSocket(path: daemon.socketPath)
            raw.send(start + Array(" more bytes\n".utf8))
            #expect(raw.readToEnd() == [], "\(start)")
        }
        // A letter means HTTP; a request NIO's codec cannot parse gets 400 and the connection closes.
        let raw = try RawSocket(path: daemon.socketPath)
        raw.send("hello there\r\n\r\n")
        let reply = String(decoding: try #require(raw.readToEnd()), as: UTF8.self)
        #expect(reply.hasPrefix("HTTP/1.1 400"))
        #expect((try? daemon.call("daemon.info")) != nil)
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() throws {
        let daemon = try DaemonHarness().start()
        let result = try runProgram(
            "/usr/bin/curl", ["-sS", "-v", "--unix-socket", daemon.socketPath, "http://timmyd/api/info", "http://timmyd/api/info"])
        #expect(result.status == 0)
        #expect(result.stderr.contains("Re-using existing connection") || result.stderr.contains("Reusing existing connection"))
        #expect(result.stdout.components(separatedBy: "\"priceSats\"").count == 3)
    }

    @Test func aSlowClientIsCutOff() throws {
        let daemon = try DaemonHarness(environment: ["HTTP_REQUEST_TIMEOUT_SECONDS": "1"]).start()
        let raw = try RawSocket(path: daemon.socketPath, receiveTimeout: 10)
        let started = Date()
        raw.send("GET /api/info HTTP/1.1\r\nHost: timmyd\r\n")
        #expect(raw.readToEnd() == [])
        let waited = Date().timeIntervalSince(started)
        #expect(waited >= 0.9 && waited < 5, "\(waited)")
        // A kept-alive connection is closed after the same time without a next request.
        let idle = try RawSocket(path: daemon.socketPath, receiveTimeout: 10)
        idle.send("GET /api/info HTTP/1.1\r\nHost: timmyd\r\n\r\n")
        let answered = String(decoding: try #require(idle.readToEnd()), as: UTF8.self)
        #expect(answered.hasPrefix("HTTP/1.1 200"))
    }
}
