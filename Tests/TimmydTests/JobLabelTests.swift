import Protocol
import Testing
@testable import timmyd

@Suite struct JobLabelTests {
    @Test(arguments: [
        "my node", "Grüße, 東京 🚀", "emoji 🚀⚡️", String(repeating: "x", count: 200), "",
    ])
    func plainTextIsAccepted(_ label: String) throws {
        try JobLabel.validate(label)
    }

    /// Bidi overrides, embeddings and isolates, zero-width characters, marks, the BOM,
    /// C0/C1 controls and Unicode line/paragraph separators.
    @Test(arguments: [
        0x202E, 0x202D, 0x202A, 0x202B, 0x202C, 0x2066, 0x2067, 0x2068, 0x2069, 0x200B, 0x200C, 0x200D, 0x200E,
        0x200F, 0xFEFF, 0x061C, 0x00AD, 0x2060, 0x0000, 0x0007, 0x0009, 0x000A, 0x000D, 0x001B, 0x007F, 0x0085,
        0x009B, 0x2028, 0x2029,
    ] as [UInt32])
    func controlAndFormatCharactersAreRefusedByCodePoint(_ value: UInt32) throws {
        let scalar = try #require(Unicode.Scalar(value))
        let label = "invoice" + String(Character(scalar)) + "txt.exe"
        #expect(JobLabel.forbiddenScalar(in: label) == scalar)
        let violation = try #require(throws: JobRuleViolation.self) { try JobLabel.validate(label) }
        #expect(violation == .labelNotPlainText(scalar))
        let error = BusinessErrorMapping.jsonRPCError(for: violation)
        #expect(error.code == -32602)
        #expect(error.message.contains("U+" + codePoint(value)), "\(error.message)")
    }

    @Test func overLongLabelIsRefused() throws {
        let violation = try #require(throws: JobRuleViolation.self) { try JobLabel.validate(String(repeating: "x", count: 201)) }
        #expect(violation == .labelTooLong(maximumCharacters: 200))
        #expect(BusinessErrorMapping.jsonRPCError(for: violation).code == -32602)
    }
}

/// U+ notation's hex digits: upper case, at least four.
private func codePoint(_ value: UInt32) -> String {
    let hex = String(value, radix: 16, uppercase: true)
    return String(repeating: "0", count: max(0, 4 - hex.count)) + hex
}
