import Testing
import Protocol

@Test func smoke() { #expect(Bool(true)) }
