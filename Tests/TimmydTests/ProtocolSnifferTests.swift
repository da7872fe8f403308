import NIOCore
import NIOEmbedded
import Testing
@testable import timmyd

/// The first byte picks the framing; the sniffer hands every byte on and leaves the pipeline.
@Suite struct ProtocolSnifferTests {
    /// Collects what reaches the end of the pipeline.
    final class Collector: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        var received: [UInt8] = []
        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            received += unwrapInboundIn(data).readableBytesView
        }
    }

    /// A channel with a sniffer whose configuration adds a collector and records the framing.
    func makeChannel() throws -> (EmbeddedChannel, () -> ProtocolSniffer.Framing?, Collector) {
        let channel = EmbeddedChannel()
        let collector = Collector()
        var chosen: ProtocolSniffer.Framing?
        try channel.pipeline.syncOperations.addHandler(
            ProtocolSniffer { framing, pipeline in
                chosen = framing
                try pipeline.addHandler(collector)
            })
        try channel.connect(to: SocketAddress(unixDomainSocketPath: "/tmp/timmyd-sniffer-test")).wait()
        return (channel, { chosen }, collector)
    }

    @Test(arguments: ["{\"jsonrpc\":\"2.0\"}\n", "[{}]\n", " {}\n", "\n"])
    func jsonStartsJSONRPC(_ text: String) throws {
        let (channel, chosen, collector) = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: text))
        #expect(chosen() == .jsonRPC)
        #expect(collector.received == Array(text.utf8))
        #expect(throws: (any Error).self) { try channel.pipeline.syncOperations.handler(type: ProtocolSniffer.self) }
        #expect(channel.isActive)
    }

    @Test(arguments: ["GET / HTTP/1.1\r\n\r\n", "POST /api HTTP/1.1\r\n", "x"])
    func aLetterStartsHTTP(_ text: String) throws {
        let (channel, chosen, collector) = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: text))
        #expect(chosen() == .http)
        #expect(collector.received == Array(text.utf8))
    }

    @Test(arguments: [[0x16, 0x03, 0x01], [0x00], [0xFF, 0x0A], Array("1\n".utf8)])
    func anythingElseIsClosedUnanswered(_ bytes: [UInt8]) throws {
        let (channel, chosen, collector) = try makeChannel()
        try channel.writeInbound(ByteBuffer(bytes: bytes))
        #expect(chosen() == nil)
        #expect(collector.received.isEmpty)
        #expect(!channel.isActive)
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
    }

    @Test func bytesSplitAcrossReadsAllArrive() throws {
        let (channel, chosen, collector) = try makeChannel()
        try channel.writeInbound(ByteBuffer(string: "{\"a\""))
        try channel.writeInbound(ByteBuffer(string: ":1}\n"))
        #expect(chosen() == .jsonRPC)
        #expect(collector.received == Array("{\"a\":1}\n".utf8))
    }

    @Test func anEmptyReadDecidesNothing() throws {
        let (channel, chosen, _) = try makeChannel()
        try channel.writeInbound(ByteBuffer())
        #expect(chosen() == nil)
        #expect(channel.isActive)
    }

    @Test func endOfInputBeforeAnyByteCloses() throws {
        let (channel, chosen, _) = try makeChannel()
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(chosen() == nil)
        #expect(!channel.isActive)
    }
}
