import Logging
import NIOCore
import Protocol

/// Serves JSON-RPC on one connection: each line is dispatched on its own task (run on
/// the connection's event loop), replies are written as they finish, and watch notifications follow their
/// reply. When the caller shuts down its write side, the connection stays open
/// until every reply (and every watch) is done, then closes.
///
/// Backpressure: at most `requestsInFlightPerConnection` lines are being answered at
/// once (a line counts until its reply has been written to the socket). While at that
/// cap, or while the socket will take no more output (a caller that does not read its
/// replies), the handler stops reading; lines already read wait in order. So one
/// caller's unread replies cannot grow the daemon's memory without bound.
final class RPCConnectionHandler: ChannelDuplexHandler {
    typealias InboundIn = InboundFrame
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private typealias FollowUps = [@Sendable (NotificationSink) async -> Void]
    private typealias Answer = (reply: JSONValue?, followUps: FollowUps)

    private let dispatcher: Dispatcher
    private let caller: Caller
    private let logger: Logger
    private let maximumInFlight: Int
    /// Lines dispatched whose reply is not yet written.
    private var inFlight = 0
    /// Watch follow-ups still running.
    private var following = 0
    /// Lines read while at the in-flight cap, answered in order as room frees up.
    private var queued = CircularBuffer<ByteBuffer>()
    /// A read was asked for while reading was paused.
    private var readPending = false
    private var inputClosed = false
    private var closing = false
    /// Where this connection's requests run: its own event loop (see EventLoopTaskExecutor).
    private var loopExecutor: EventLoopTaskExecutor?
    private var flushScheduled = false

    init(dispatcher: Dispatcher, caller: Caller, limits: CallerLimits, logger: Logger) {
        var caller = caller
        caller.watchSlots = WatchSlots(limit: limits.watchesPerConnection)
        self.dispatcher = dispatcher
        self.caller = caller
        self.maximumInFlight = limits.requestsInFlightPerConnection
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
            queued.removeAll()
            let reply = JSONRPCResponse(id: .null, outcome: .failure(.lineTooLong(limit: limit)))
            let channel = context.channel
            context.writeAndFlush(wrapOutboundOut(Self.encode(reply.json, allocator: channel.allocator)))
                .whenComplete { _ in
                    channel.close(mode: .output, promise: nil)
                    channel.eventLoop.scheduleTask(in: .seconds(2)) { channel.close(promise: nil) }
                }
        case .line(let line):
            // Blank lines (e.g. a trailing "\r\n\n") are not requests.
            guard line.readableBytesView.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
            if inFlight < maximumInFlight && queued.isEmpty {
                start(line, context: context)
            } else {
                queued.append(line)
            }
        }
    }

    private func start(_ line: ByteBuffer, context: ChannelHandlerContext) {
        inFlight += 1
        let bytes = Array(line.readableBytesView)
        let dispatcher = self.dispatcher
        let caller = self.caller
        let answered = context.eventLoop.makePromise(of: Answer.self)
        Task(executorPreference: executor(context)) {
            answered.succeed(await dispatcher.handle(line: bytes, caller: caller))
        }
        answered.futureResult.assumeIsolated().whenSuccess { answer in
            // A line counts until its reply is written, so an unread socket stops the reading.
            guard let reply = answer.reply else { return self.finished(answer.followUps, context: context) }
            context.write(self.wrapOutboundOut(Self.encode(reply, allocator: context.channel.allocator)))
                .assumeIsolated().whenComplete { _ in self.finished(answer.followUps, context: context) }
            self.flushSoon(context: context)
        }
    }

    /// One flush for all the replies finished in this turn of the event loop: pipelined
    /// requests that arrived together leave in one write instead of one write each.
    private func flushSoon(context: ChannelHandlerContext) {
        guard !flushScheduled else { return }
        flushScheduled = true
        context.eventLoop.assumeIsolated().execute {
            self.flushScheduled = false
            context.flush()
        }
    }

    /// One line's reply is written (or the connection is gone): room for the next.
    private func finished(_ followUps: FollowUps, context: ChannelHandlerContext) {
        inFlight -= 1
        if !followUps.isEmpty { follow(followUps, context: context) }
        startQueued(context: context)
        resumeReadingIfAllowed(context: context)
        closeIfDone(context: context)
    }

    private func executor(_ context: ChannelHandlerContext) -> EventLoopTaskExecutor {
        if let loopExecutor { return loopExecutor }
        let made = EventLoopTaskExecutor(eventLoop: context.eventLoop)
        loopExecutor = made
        return made
    }

    /// Runs watch notifications on the same connection; they do not hold an in-flight slot.
    private func follow(_ followUps: FollowUps, context: ChannelHandlerContext) {
        following += 1
        let sink = ChannelNotificationSink(channel: context.channel)
        let done = context.eventLoop.makePromise(of: Void.self)
        Task(executorPreference: executor(context)) {
            for followUp in followUps { await followUp(sink) }
            done.succeed()
        }
        done.futureResult.assumeIsolated().whenComplete { _ in
            self.following -= 1
            self.closeIfDone(context: context)
        }
    }

    private func startQueued(context: ChannelHandlerContext) {
        while !closing, inFlight < maximumInFlight, let next = queued.popFirst() {
            start(next, context: context)
        }
    }

    private func mayRead(context: ChannelHandlerContext) -> Bool {
        inFlight < maximumInFlight && queued.isEmpty && context.channel.isWritable
    }

    func read(context: ChannelHandlerContext) {
        if mayRead(context: context) {
            context.read()
        } else {
            readPending = true
        }
    }

    private func resumeReadingIfAllowed(context: ChannelHandlerContext) {
        guard readPending, mayRead(context: context) else { return }
        readPending = false
        context.read()
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        resumeReadingIfAllowed(context: context)
        context.fireChannelWritabilityChanged()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputClosed = true
            closeIfDone(context: context)
        } else if event is IdleStateHandler.IdleStateEvent {
            // Idle: close only a connection with nothing in flight (a watch keeps it open),
            // or one whose caller has not read its replies for the whole idle time.
            if isDone || !context.channel.isWritable { context.close(promise: nil) }
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // One connection's failure stays with that connection.
        logger.debug("connection error", metadata: ["error": "\(error)", "uid": "\(caller.uid)"])
        context.close(promise: nil)
    }

    private var isDone: Bool { inFlight == 0 && following == 0 && queued.isEmpty }

    private func closeIfDone(context: ChannelHandlerContext) {
        if inputClosed && isDone && !closing {
            closing = true
            context.close(promise: nil)
        }
    }

    static func encode(_ value: JSONValue, allocator: ByteBufferAllocator) -> ByteBuffer {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(512)
        value.write(into: &bytes)
        bytes.append(UInt8(ascii: "\n"))
        var buffer = allocator.buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
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
