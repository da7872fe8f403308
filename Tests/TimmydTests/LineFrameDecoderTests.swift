import NIOCore
import NIOEmbedded
import NIOTestUtils
import Testing
@testable import timmyd

/// The socket's line framing, checked by NIO's own decoder verifier (every input fed
/// whole, byte by byte and in random chunks) and for its limit.
@Suite struct LineFrameDecoderTests {
    static func line(_ text: String) -> InboundFrame { .line(ByteBuffer(string: text)) }

    @Test func linesComeOutWholeHoweverTheBytesArrive() throws {
        try ByteToMessageDecoderVerifier.verifyDecoder(
            stringInputOutputPairs: [
                ("a\n", [Self.line("a")]),
                ("{\"id\":1}\n{\"id\":2}\n", [Self.line("{\"id\":1}"), Self.line("{\"id\":2}")]),
                ("\n", [Self.line("")]),
                ("x\r\n", [Self.line("x\r")]),
                (String(repeating: "b", count: 64) + "\n", [Self.line(String(repeating: "b", count: 64))]),
            ],
            decoderFactory: { LineFrameDecoder(maximumLineLength: 64) })
    }

    @Test func aLineWithoutNewlineAtEndOfInputIsStillDelivered() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LineFrameDecoder(maximumLineLength: 64)))
        try channel.writeInbound(ByteBuffer(string: "one\ntwo"))
        #expect(try channel.readInbound(as: InboundFrame.self) == Self.line("one"))
        #expect(try channel.readInbound(as: InboundFrame.self) == nil)
        _ = try channel.finish()
        #expect(try channel.readInbound(as: InboundFrame.self) == Self.line("two"))
    }

    @Test func aLineOverTheLimitIsRefusedOnceAndTheRestDropped() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LineFrameDecoder(maximumLineLength: 8)))
        try channel.writeInbound(ByteBuffer(string: "short\n" + String(repeating: "z", count: 9)))
        #expect(try channel.readInbound(as: InboundFrame.self) == Self.line("short"))
        #expect(try channel.readInbound(as: InboundFrame.self) == .tooLong(limit: 8))
        try channel.writeInbound(ByteBuffer(string: "more\nlines\n"))
        #expect(try channel.readInbound(as: InboundFrame.self) == nil)
    }

    @Test func aLongLineIsRefusedEvenWhenItsNewlineArrivesInTheSameRead() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LineFrameDecoder(maximumLineLength: 8)))
        try channel.writeInbound(ByteBuffer(string: String(repeating: "z", count: 9) + "\nok\n"))
        #expect(try channel.readInbound(as: InboundFrame.self) == .tooLong(limit: 8))
        #expect(try channel.readInbound(as: InboundFrame.self) == nil)
    }

    @Test func aLineOfExactlyTheLimitPasses() throws {
        let channel = EmbeddedChannel(handler: ByteToMessageHandler(LineFrameDecoder(maximumLineLength: 8)))
        try channel.writeInbound(ByteBuffer(string: "12345678\n"))
        #expect(try channel.readInbound(as: InboundFrame.self) == Self.line("12345678"))
    }
}
