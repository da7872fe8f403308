import Testing
@testable import timmyd

@Test func smoke() { #expect(Bool(true)) }
