import Foundation
import Protocol
import Testing

/// The web API on the daemon's own socket, exercised with `curl --unix-socket` against
/// the real daemon, as nginx forwards a browser's requests.
@Suite struct HTTPRoutesTests {
    @Test func infoAnswersDaemonInfoAsJSONThatIsNeverCached() throws {
        let daemon = try DaemonHarness(environment: ["BOOTSTRAP_FEE_SATS": "21000"]).start()
        let info = try daemon.http("GET", "/api/info")
        #expect(info.status == 200)
        #expect(info.headers["content-type"] == "application/json")
        #expect(info.headers["cache-control"] == "no-store")
        #expect(info.json?["priceSats"] == 21000)
        #expect(info.json?["invoiceExpirySeconds"] == 3600)
        #expect(info.json?["payments"]?["mode"] == "stub")
        // The test runs as root, an admin on the socket; over HTTP it is only ever a client.
        #expect(info.json?["caller"]?["role"] == "client")
    }

    @Test func buyPayClaimAndConfirmTheKeyOverHTTP() throws {
        let daemon = try DaemonHarness().start()
        let created = try daemon.http("POST", "/api/bootstrap", body: "{}")
        #expect(created.status == 201)
        #expect(created.headers["cache-control"] == "no-store")
        let job = try CreateJobResult(json: try #require(created.json))
        #expect(job.state == .awaitingPayment)

        let status = try daemon.http("GET", "/api/bootstrap/\(job.jobId)", token: job.accessToken)
        #expect(status.status == 200)
        #expect(status.json?["state"] == "awaiting_payment")
        #expect(status.json?["invoice"]?["paymentRequest"] == .string(job.invoice.paymentRequest))

        try daemon.simulatePayment(job.jobId)
        try daemon.waitFor(job, state: .ready)
        let key = try daemon.http("POST", "/api/bootstrap/\(job.jobId)/key", token: job.accessToken)
        #expect(key.status == 200)
        let claimed = try ClaimKeyResult(json: try #require(key.json))
        let keyPath = daemon.folder + "/http_key"
        _ = FileManager.default.createFile(
            atPath: keyPath, contents: Data(claimed.sshPrivateKey.utf8), attributes: [.posixPermissions: 0o600])
        let derived = try runProgram("/usr/bin/ssh-keygen", ["-y", "-f", keyPath])
        #expect(derived.status == 0, "\(derived.stderr)")
        #expect(publicKeyBody(derived.stdout) == publicKeyBody(claimed.sshPublicKey))

        // Until receipt is confirmed, a second claim gets the same key.
        let again = try daemon.http("POST", "/api/bootstrap/\(job.jobId)/key", token: job.accessToken)
        #expect(again.status == 200)
        #expect(try ClaimKeyResult(json: try #require(again.json)) == claimed)

        let confirmPath = "/api/bootstrap/\(job.jobId)/key/confirm"
        let confirmed = try daemon.http(
            "POST", confirmPath, token: job.accessToken, body: #"{"sshKeyFingerprint":"\#(claimed.sshKeyFingerprint)"}"#)
        #expect(confirmed.status == 200, "\(confirmed.body)")
        #expect(confirmed.headers["cache-control"] == "no-store")
        let fromBody = try daemon.http(
            "POST", confirmPath, token: job.accessToken,
            body: #"{"jobId":"\#(job.jobId)","sshKeyFingerprint":"\#(claimed.sshKeyFingerprint)"}"#)
        #expect(fromBody.status == 400, "the job id comes from the path only")
        let wrongMethod = try daemon.http("GET", confirmPath, token: job.accessToken)
        #expect(wrongMethod.status == 405)

        let after = try daemon.http("POST", "/api/bootstrap/\(job.jobId)/key", token: job.accessToken)
        #expect(after.status == 409)
        #expect(after.errorReason == "key_already_claimed")
        #expect(after.json?["error"]?["code"] == .int(Int64(ApplicationErrorReason.keyAlreadyClaimed.code)))
    }

    @Test func cancelThenCancelAgainIsAConflict() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.httpCreate()
        let cancelled = try daemon.http("POST", "/api/bootstrap/\(job.jobId)/cancel", token: job.accessToken)
        #expect(cancelled.status == 200)
        #expect(cancelled.json?["state"] == "cancelled")
        let again = try daemon.http("POST", "/api/bootstrap/\(job.jobId)/cancel", token: job.accessToken)
        #expect(again.status == 409)
        #expect(again.errorReason == "wrong_state")
        // No invoice to draw any more.
        let svg = try daemon.http("GET", "/api/bootstrap/\(job.jobId)/invoice.svg", token: job.accessToken)
        #expect(svg.status == 409)
    }

    @Test func missingOrWrongTokenIs401AndUnknownJobIs404() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.httpCreate()
        let path = "/api/bootstrap/\(job.jobId)"
        let missing = try daemon.http("GET", path)
        #expect(missing.status == 401)
        #expect(missing.headers["www-authenticate"] == "Bearer")
        #expect(missing.errorReason == "bad_token")
        let wrong = try daemon.http("GET", path, token: "tat_not-the-token")
        #expect(wrong.status == 401)
        #expect(wrong.errorReason == "bad_token")
        let basic = try daemon.http("GET", path, headers: ["Authorization: Basic \(job.accessToken)"])
        #expect(basic.status == 401)
        for route in ["/api/bootstrap/00000000-0000-4000-8000-000000000000", "/api/bootstrap/not-a-job-id"] {
            let unknown = try daemon.http("GET", route, token: job.accessToken)
            #expect(unknown.status == 404, "\(route)")
            #expect(unknown.errorReason == "not_found", "\(route)")
        }
        // None of that touched the job.
        #expect(try daemon.status(job).state == .awaitingPayment)
    }

    @Test func badBodiesAre400() throws {
        let daemon = try DaemonHarness().start()
        let notJSON = try daemon.http("POST", "/api/bootstrap", body: "{\"label\": ")
        #expect(notJSON.status == 400)
        #expect(notJSON.errorReason == "parse_error")
        #expect(notJSON.json?["error"]?["code"] == .int(Int64(JSONRPCError.parseErrorCode)))
        let array = try daemon.http("POST", "/api/bootstrap", body: "[]")
        #expect(array.status == 400)
        #expect(array.errorReason == "invalid_params")
        let unknownField = try daemon.http("POST", "/api/bootstrap", body: "{\"colour\": \"orange\"}")
        #expect(unknownField.status == 400)
        #expect(unknownField.errorReason == "invalid_params")
        let badKey = try daemon.http("POST", "/api/bootstrap", body: "{\"sshPublicKey\": \"ssh-ed25519 nope\"}")
        #expect(badKey.status == 400)

        let job = try daemon.httpCreate()
        let smuggled = try daemon.http(
            "POST", "/api/bootstrap/\(job.jobId)/cancel", token: job.accessToken, body: "{\"jobId\": \"other\"}")
        #expect(smuggled.status == 400)
        #expect(try daemon.status(job).state == .awaitingPayment)
        // Only the body-less create made a job; the bad ones made none.
        #expect(try daemon.call("admin.jobs.list")["jobs"]?.arrayValue?.count == 1)
    }

    @Test func unknownRoutesAre404AndWrongMethodsAre405() throws {
        let daemon = try DaemonHarness().start()
        for path in ["/", "/api", "/api/info/", "/api/bootstrap/x/nope", "/index.html", "/api/bootstrap/x/key/more"] {
            let response = try daemon.http("GET", path)
            #expect(response.status == 404, "\(path)")
            #expect(response.errorReason == "no_route", "\(path)")
            #expect(response.headers["content-type"] == "application/json")
        }
        let wrong = try daemon.http("GET", "/api/bootstrap")
        #expect(wrong.status == 405)
        #expect(wrong.headers["allow"] == "POST")
        #expect(try daemon.http("DELETE", "/api/bootstrap/x").status == 405)
        let head = try daemon.http("HEAD", "/api/info", extra: ["--head"])
        #expect(head.status == 405)
    }

    @Test func bodyOverTheLimitIs413() throws {
        let daemon = try DaemonHarness(environment: ["HTTP_MAX_BODY_BYTES": "2048"]).start()
        let label = String(repeating: "a", count: 100_000)
        let huge = try daemon.http("POST", "/api/bootstrap", body: "{\"label\": \"\(label)\"}")
        #expect(huge.status == 413)
        #expect(huge.errorReason == "body_too_large")
        // Sent in chunks, with no length up front: refused as it grows.
        let chunked = try daemon.http(
            "POST", "/api/bootstrap", body: "{\"label\": \"\(label)\"}", headers: ["Transfer-Encoding: chunked"])
        #expect(chunked.status == 413)
        // Just under the limit is read (and judged on its content).
        let fits = try daemon.http("POST", "/api/bootstrap", body: "{\"label\": \"\(String(repeating: "a", count: 1500))\"}")
        #expect(fits.status == 400)
        #expect(fits.errorReason == "invalid_params")
        #expect(try daemon.http("GET", "/api/info").status == 200)
    }

    @Test func refundRoutePaysAFailedJobBackOnce() throws {
        let daemon = try DaemonHarness(environment: ["STUB_PROVISION_FAIL_AT": "volume_created", "STUB_PROVISION_DELAY_MS": "50"])
            .start()
        let unpaid = try daemon.httpCreate()
        let early = try daemon.http(
            "POST", "/api/bootstrap/\(unpaid.jobId)/refund", token: unpaid.accessToken, body: "{\"bolt11\": \"lnstubrefund5sat1\"}")
        #expect(early.status == 409, "\(early.status) \(early.body)")
        #expect(early.errorReason == "wrong_state")
        #expect(try daemon.http("POST", "/api/bootstrap/\(unpaid.jobId)/refund", body: "{}").status == 401)

        let job = try daemon.httpCreate()
        _ = try daemon.call("admin.payments.simulate", ["jobId": .string(job.jobId)])
        try daemon.waitFor(job, state: .failed)
        let tooMuch = try daemon.http(
            "POST", "/api/bootstrap/\(job.jobId)/refund", token: job.accessToken, body: "{\"bolt11\": \"lnstubrefund99999999sat1\"}")
        #expect(tooMuch.status == 400)
        let refund = try daemon.http(
            "POST", "/api/bootstrap/\(job.jobId)/refund", token: job.accessToken, body: "{\"bolt11\": \"lnstubrefund700sat1web\"}")
        #expect(refund.status == 200, "\(refund.body)")
        #expect(refund.json?["state"] == "refunded")
        let again = try daemon.http(
            "POST", "/api/bootstrap/\(job.jobId)/refund", token: job.accessToken, body: "{\"bolt11\": \"lnstubrefund700sat1web\"}")
        #expect(again.status == 409)
    }

    @Test func invoiceSVGIsTheInvoiceAsAQRCode() throws {
        let daemon = try DaemonHarness().start()
        let job = try daemon.httpCreate()
        let svg = try daemon.http("GET", "/api/bootstrap/\(job.jobId)/invoice.svg", token: job.accessToken)
        #expect(svg.status == 200)
        #expect(svg.headers["content-type"] == "image/svg+xml")
        #expect(svg.headers["cache-control"] == "no-store")
        #expect(svg.body.hasPrefix("<svg xmlns=\"http://www.w3.org/2000/svg\""))
        #expect(try daemon.http("GET", "/api/bootstrap/\(job.jobId)/invoice.svg").status == 401)
        guard (try? runProgram("/usr/bin/which", ["zbarimg"]))?.status == 0,
            (try? runProgram("/usr/bin/which", ["rsvg-convert"]))?.status == 0
        else { return }
        try svg.body.write(toFile: daemon.folder + "/invoice.svg", atomically: true, encoding: .utf8)
        let png = try runProgram("/usr/bin/rsvg-convert", ["-w", "600", "-o", daemon.folder + "/invoice.png", daemon.folder + "/invoice.svg"])
        #expect(png.status == 0)
        let decoded = try runProgram("/usr/bin/zbarimg", ["--quiet", "--raw", daemon.folder + "/invoice.png"])
        #expect(decoded.stdout.trimmingCharacters(in: .newlines) == "LIGHTNING:" + job.invoice.paymentRequest.uppercased())
    }
}
