import Testing
@testable import timmyd

/// Per-address counts of HTTP connections and event streams.
@Suite struct AddressLimiterTests {
    @Test func eachAddressHasItsOwnShareOfConnectionsAndStreams() {
        let limiter = AddressLimiter(connections: 2, streams: 1)
        #expect(limiter.addConnection("198.51.100.1"))
        #expect(limiter.addConnection("198.51.100.1"))
        #expect(!limiter.addConnection("198.51.100.1"))
        #expect(limiter.addConnection("198.51.100.2"))
        #expect(limiter.addStream("198.51.100.1"))
        #expect(!limiter.addStream("198.51.100.1"))
        limiter.removeConnection("198.51.100.1")
        #expect(limiter.addConnection("198.51.100.1"))
        limiter.removeStream("198.51.100.1")
        #expect(limiter.addStream("198.51.100.1"))
    }

    @Test func anAddressWithNothingOpenIsForgotten() {
        let limiter = AddressLimiter(connections: 1, streams: 1)
        #expect(limiter.addConnection("a"))
        #expect(limiter.addStream("a"))
        limiter.removeStream("a")
        limiter.removeConnection("a")
        #expect(limiter.usage("a") == (0, 0))
        // A release with nothing counted changes nothing.
        limiter.removeConnection("b")
        #expect(limiter.addConnection("b"))
        #expect(!limiter.addConnection("b"))
    }
}
