import Foundation
import Protocol
import Testing

/// Finding 13 (labels): a buyer's label is shown to the operator. Bidi overrides
/// and invisible format characters would make it read differently from what it
/// is, and controls could drive the operator's terminal: each is refused with
/// -32602 (HTTP 400), over both framings, and no job is made.
@Suite(.serialized)
struct LabelSpoofingTests {
    static let forbidden: [UInt32] = [
        0x202E, 0x202D, 0x202A, 0x202B, 0x202C, 0x2066, 0x2067, 0x2068, 0x2069, 0x200B, 0x200C, 0x200D, 0x200E,
        0x200F, 0xFEFF, 0x061C, 0x2060, 0x00AD, 0x0007, 0x000A, 0x001B, 0x007F, 0x009B, 0x2028, 0x2029,
    ]  // U+0000 never gets this far: the JSON parser refuses it (-32700).

    @Test func bidiFormatAndControlCharactersInALabelAreRefused() throws {
        let daemon = try DaemonHarness().start()
        for value in Self.forbidden {
            let scalar = try #require(Unicode.Scalar(value))
            let label = "refund-" + String(Character(scalar)) + "gpj.exe"
            let error = try daemon.callError("bootstrap.create", ["label": .string(label)])
            #expect(error.code == -32602, "U+\(String(value, radix: 16))")
            #expect(error.data?["field"] == "label")

            let body = JSONValue.object(["label": .string(label)]).serialized()
            let overHTTP = try daemon.http("POST", "/api/bootstrap", body: body)
            #expect(overHTTP.status == 400, "U+\(String(value, radix: 16)) over HTTP: \(overHTTP.body)")
            #expect(overHTTP.json?["error"]?["code"] == -32602)
        }
        #expect(try daemon.call("admin.jobs.list")["jobs"]?.arrayValue?.isEmpty == true, "no job was made")
        // Plain text, accents and emoji included, is still welcome.
        _ = try daemon.create(["label": "Grüße aus Zürich 🚀"])
        daemon.expectAdminStillServed()
    }
}
