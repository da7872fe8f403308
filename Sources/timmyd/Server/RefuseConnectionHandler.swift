import NIOCore
import Protocol

/// Answers a connection the server cannot take with one error line, then closes it.
final class RefuseConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let error: JSONRPCError

    init(error: JSONRPCError) {
        self.error = error
    }

    func channelActive(context: ChannelHandlerContext) {
        let reply = JSONRPCResponse(id: .null, outcome: .failure(error)).json
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(RPCConnectionHandler.encode(reply, allocator: channel.allocator)))
            .whenComplete { _ in
                // Half-close first so the reply is not lost to a reset; give the caller a moment to read it.
                channel.close(mode: .output, promise: nil)
                channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
            }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Whatever the caller sends is dropped; its end of input closes the connection.
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { context.close(promise: nil) }
    }
}
