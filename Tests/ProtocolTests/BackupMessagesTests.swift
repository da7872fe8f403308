import Testing
@testable import Protocol

@Suite struct BackupMessagesTests {
    @Test(arguments: 0...7)
    func chunksRoundTripThroughJSONAtEveryPaddingLength(_ length: Int) throws {
        let chunk = BackupChunk(offset: 49_152, data: (0..<length).map { UInt8(truncatingIfNeeded: $0 * 97 + 255) })
        let text = try #require(chunk.json["data"]?.stringValue)
        #expect(text.utf8.count % 4 == 0)
        #expect(try BackupChunk(json: try JSONValue.parse(chunk.json.serialized())) == chunk)
    }

    @Test func chunkWithDataThatIsNotBase64IsRefused() {
        #expect(throws: JSONRPCError.self) { try BackupChunk(json: ["offset": 0, "data": "not base64!"]) }
    }

    @Test func sha256HexMatchesTheStandardVector() {
        #expect(BackupChunk.sha256Hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
    }

    @Test func summaryRoundTripsAndNeedsEveryField() throws {
        let summary = BackupSummary(bytes: 4096, jobs: 3, sha256: String(repeating: "a", count: 64), integrityCheck: "ok", masterKeyReminder: "keep it")
        #expect(try BackupSummary(json: summary.json) == summary)
        #expect(throws: JSONRPCError.self) { try BackupSummary(json: ["bytes": 1]) }
    }
}
