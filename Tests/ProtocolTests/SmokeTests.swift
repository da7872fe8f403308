import Testing
@testable import Protocol

@Test func smoke() { #expect(Bool(true)) }
