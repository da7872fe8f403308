import Logging
import NIOCore
import Protocol

/// Serves JSON-RPC on one connection: each line is dispatched on its own task,
/// replies are written as they finish, and watch notifications follow their
/// reply. When the caller shuts down its write side, the connection stays open
/// until every reply (and every watch) is done, then closes.
final class RPCConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = InboundFrame
    typealias OutboundOut = ByteBuffer

    private let dispatcher: Dispatcher
    private let caller: Caller
    private let logger: Logger
    private var outstanding = 0
    private var inputClosed = false
    private var closing = false

    init(dispatcher: Dispatcher, caller: Caller, logger: Logger) {
        self.dispatcher = dispatcher
        self.caller = caller
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !closing else { return }
        switch unwrapInboundIn(data) {
        case .tooLong(let limit):
            // Answer, then stop sending. Closing at once while the caller's bytes are still
            // unread would reset the connection and could destroy the answer in flight, so
            // the rest of its input is drained (the decoder drops it) for a short while.
            closing = true
            let reply = JSONRPCResponse(id: .null, outcome: .failure(.lineTooLong(limit: limit)))
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(Self.encode(reply.json, allocator: channel.allocator)))
                .whenComplete { _ in
                    channel.close(mode: .output, promise: nil)
                    channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
                }
        case .line(let buffer):
            let bytes = Array(buffer.readableBytesView)
            // Blank lines (e.g. a trailing "\r\n\n") are not requests.
            guard bytes.contains(where: { ![0x20, 0x09, 0x0D].contains($0) }) else { return }
            outstanding += 1
            let dispatcher = self.dispatcher
            let caller = self.caller
            let channel = context.channel
            let work = context.eventLoop.makeFutureWithTask {
                await Self.serve(line: bytes, caller: caller, dispatcher: dispatcher, channel: channel)
            }
            work.assumeIsolated().whenComplete { _ in self.finishedOne(context: context) }
        }
    }

    /// Answers one line, then runs any follow-up (watch notifications) on the same connection.
    private static func serve(line: [UInt8], caller: Caller, dispatcher: Dispatcher, channel: Channel) async {
        let (reply, followUps) = await dispatcher.handle(line: line, caller: caller)
        if let reply {
            _ = try? await channel.writeAndFlush(encode(reply, allocator: channel.allocator)).get()
        }
        guard !followUps.isEmpty else { return }
        let sink = ChannelNotificationSink(channel: channel)
        for followUp in followUps { await followUp(sink) }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputClosed = true
            closeIfDone(context: context)
        } else if event is IdleStateHandler.IdleStateEvent {
            // Idle: close only a connection with nothing in flight (a watch keeps it open).
            if outstanding == 0 { context.close(promise: nil) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // One connection's failure stays with that connection.
        logger.debug("connection error", metadata: ["error": "\(error)", "uid": "\(caller.uid)"])
        context.close(promise: nil)
    }

    private func finishedOne(context: ChannelHandlerContext) {
        outstanding -= 1
        closeIfDone(context: context)
    }

    private func closeIfDone(context: ChannelHandlerContext) {
        if inputClosed && outstanding == 0 {
            closing = true
            context.close(promise: nil)
        }
    }

    static func encode(_ value: JSONValue, allocator: ByteBufferAllocator) -> ByteBuffer {
        var buffer = allocator.buffer(capacity: 256)
        buffer.writeString(value.serialized())
        buffer.writeInteger(UInt8(ascii: "\n"))
        return buffer
    }
}

/// Writes notifications to a connection; reports false once it is closed.
struct ChannelNotificationSink: NotificationSink {
    let channel: Channel

    func send(method: String, params: JSONValue) async -> Bool {
        let notification = JSONRPCRequest(method: method, params: params, id: nil)
        do {
            try await channel.writeAndFlush(RPCConnectionHandler.encode(notification.json, allocator: channel.allocator))
                .get()
            return true
        } catch {
            return false
        }
    }

    func onClose(_ action: @escaping @Sendable () -> Void) {
        channel.closeFuture.whenComplete { _ in action() }
    }
}
