import Testing
@testable import timmyd

@Suite struct TimestampTests {
    @Test(arguments: [
        (0, "1970-01-01T00:00:00Z"),
        (999, "1970-01-01T00:00:00Z"),
        (1_000, "1970-01-01T00:00:01Z"),
        (951_782_400_000, "2000-02-29T00:00:00Z"),
        (1_709_210_096_789, "2024-02-29T12:34:56Z"),
        (1_709_251_199_000, "2024-02-29T23:59:59Z"),
        (1_709_251_200_000, "2024-03-01T00:00:00Z"),
        (4_102_444_799_000, "2099-12-31T23:59:59Z"),
        (1_798_294_465_000, "2026-12-26T14:14:25Z"),
    ] as [(Int64, String)])
    func rfc3339OfKnownInstants(_ milliseconds: Int64, _ expected: String) {
        #expect(Timestamp(milliseconds: milliseconds).rfc3339 == expected)
    }

    @Test func nowIsAfter2025AndFormatsAsRFC3339() {
        let now = Timestamp.now()
        #expect(now.milliseconds > 1_735_689_600_000)
        let text = now.rfc3339
        #expect(text.count == 20)
        #expect(text.hasSuffix("Z"))
    }

    @Test func arithmeticAndOrdering() {
        let base = Timestamp(milliseconds: 1_000)
        #expect(base.adding(seconds: 2) == Timestamp(milliseconds: 3_000))
        #expect(base.adding(milliseconds: -1) == Timestamp(milliseconds: 999))
        #expect(base < base.adding(milliseconds: 1))
    }
}

@Suite struct JobIdentifierTests {
    @Test func madeIdentifiersAreWellFormedVersion4UUIDs() {
        for _ in 0..<200 {
            let id = JobIdentifier.make()
            #expect(JobIdentifier.isWellFormed(id), "\(id)")
            let characters = Array(id)
            #expect(characters[14] == "4", "version nibble in \(id)")
            #expect("89ab".contains(characters[19]), "variant nibble in \(id)")
            #expect(id == id.lowercased())
        }
    }

    @Test func madeIdentifiersDiffer() {
        let ids = Set((0..<1_000).map { _ in JobIdentifier.make() })
        #expect(ids.count == 1_000)
    }

    @Test func acceptsALowerCaseUUID() {
        #expect(JobIdentifier.isWellFormed("0f4e2a9c-1b3d-4e5f-8a7b-6c5d4e3f2a1b"))
    }

    @Test(arguments: [
        "0F4E2A9C-1B3D-4E5F-8A7B-6C5D4E3F2A1B",  // upper case
        "0f4e2a9c-1b3d-4e5f-8a7b-6c5d4e3f2a1",  // too short
        "0f4e2a9c-1b3d-4e5f-8a7b-6c5d4e3f2a1b0",  // too long
        "0f4e2a9c1b3d4e5f8a7b6c5d4e3f2a1b",  // no dashes
        "0f4e2a9c-1b3d-4e5f-8a7b6-c5d4e3f2a1b",  // dash in the wrong place
        "0f4e2a9g-1b3d-4e5f-8a7b-6c5d4e3f2a1b",  // not hex
        "",
        "' OR 1=1 --",
        "x' OR '1'='1'; DROP TABLE jobs; --  ",  // 36 characters of SQL
        "0f4e2a9c-1b3d-4e5f-8a7b-6c5d4e3f2a1\u{0}",
        "0f4e2a9c-1b3d-4e5f-8a7b-6c5d4e3f2a1é",
        "../../../../etc/passwd-aaaaaaaaaaaaa",
    ])
    func rejectsAnythingElse(_ id: String) {
        #expect(!JobIdentifier.isWellFormed(id))
    }
}

@Suite struct AccessTokenTests {
    @Test func tokenIsPrefixedAndCarriesThirtyTwoRandomBytes() throws {
        for _ in 0..<200 {
            let token = AccessToken.make()
            #expect(token.hasPrefix("tat_"))
            let bytes = try #require(Base64.urlDecode(String(token.dropFirst(4))))
            #expect(bytes.count == 32)
        }
        #expect(AccessToken.make() != AccessToken.make())
    }
}
