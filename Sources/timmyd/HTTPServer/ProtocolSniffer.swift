import NIOCore

/// Tells the socket's two framings apart by the connection's first byte, sets the
/// pipeline up for the one it found, then steps out of the way.
///
/// `{`, `[` or whitespace start newline-delimited JSON-RPC; an ASCII letter starts an
/// HTTP/1.1 request line (`GET`, `POST`, …). Anything else is neither, and the
/// connection is closed without an answer, since there is no framing to answer in.
final class ProtocolSniffer: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer

    enum Framing: Equatable {
        case jsonRPC
        case http
    }

    /// Adds the handlers for a framing at the end of the pipeline (after this handler).
    typealias Configure = (Framing, ChannelPipeline.SynchronousOperations) throws -> Void

    private let configure: Configure
    private var decided = false

    init(configure: @escaping Configure) {
        self.configure = configure
    }

    static func framing(ofFirstByte byte: UInt8) -> Framing? {
        switch byte {
        case UInt8(ascii: "{"), UInt8(ascii: "["), UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\r"),
            UInt8(ascii: "\n"):
            .jsonRPC
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"):
            .http
        default:
            nil
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !decided else {
            // Only reached while the removal below is in flight.
            context.fireChannelRead(data)
            return
        }
        guard let first = unwrapInboundIn(data).readableBytesView.first else { return }
        guard let framing = Self.framing(ofFirstByte: first) else {
            context.close(promise: nil)
            return
        }
        decided = true
        do {
            try configure(framing, context.pipeline.syncOperations)
        } catch {
            context.close(promise: nil)
            return
        }
        // The bytes read so far go to the new handlers, then this handler leaves the pipeline.
        context.fireChannelRead(data)
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard !decided else {
            context.fireUserInboundEventTriggered(event)
            return
        }
        // End of input or the idle timeout before the first byte: nothing to serve.
        if let event = event as? ChannelEvent, event == .inputClosed {
            context.close(promise: nil)
        } else if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
