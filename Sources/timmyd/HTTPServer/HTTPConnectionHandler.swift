import Logging
import NIOCore
import NIOHTTP1
import Protocol

/// Serves HTTP/1.1 on one connection, behind NIO's HTTP codec and pipelining helper
/// (which hand it one request at a time). It collects a request's body up to the size
/// limit, has the router answer it, and writes the reply or the event stream.
///
/// Pipelined requests are answered in order: the helper holds the next request until a
/// response has ended, and hands it over while that end is being written, so the
/// handler is ready for it before writing the end. An event stream is the last response
/// on its connection.
///
/// Per client address, connections and event streams are capped (`AddressLimiter`);
/// a connection counts for the address of its latest request.
///
/// Slow clients: a request must arrive completely within the request timeout after the
/// connection (or the previous response) is ready for it; the same time bounds how long
/// a kept-alive connection may sit idle. Then the connection is closed.
final class HTTPConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private enum State {
        case waiting
        case receiving(HTTPRequestHead, ByteBuffer)
        /// Answered early (body too large); the rest of the request is dropped.
        case refused
        case responding
    }

    private let router: HTTPRouter
    private let caller: Caller
    private let settings: HTTPSettings
    private let addresses: AddressLimiter
    private let inAdminReserve: Bool
    private let logger: Logger
    private var state = State.waiting
    private var inputClosed = false
    private var deadline: Scheduled<Void>?
    /// Responses whose end has not been written yet.
    private var unfinishedResponses = 0
    /// The address this connection is counted for, and the one its open event stream is.
    private var countedAddress: String?
    private var streamAddress: String?

    /// - Parameters:
    ///   - caller: the socket peer; HTTP callers are always served as clients.
    ///   - inAdminReserve: the connection holds one of the slots kept for admins (its peer
    ///     is an admin uid), which an HTTP caller, never an admin, may not use.
    init(
        router: HTTPRouter, caller: Caller, settings: HTTPSettings, addresses: AddressLimiter, inAdminReserve: Bool = false,
        logger: Logger
    ) {
        var caller = caller
        caller.role = .client
        caller.transport = .http
        self.router = router
        self.caller = caller
        self.settings = settings
        self.addresses = addresses
        self.inAdminReserve = inAdminReserve
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        armDeadline(context: context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        deadline?.cancel()
        if let countedAddress { addresses.removeConnection(countedAddress) }
        if let streamAddress { addresses.removeStream(streamAddress) }
        countedAddress = nil
        streamAddress = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch (unwrapInboundIn(data), state) {
        case (.head(let head), .waiting):
            if inAdminReserve {
                refuse(head: head, .overloaded, context: context)
            } else if !count(ClientAddress.of(head.headers, trustForwardedFor: settings.trustForwardedFor)) {
                refuse(head: head, .tooManyConnections(limit: addresses.maximumConnections), context: context)
            } else if let length = head.headers.first(name: "content-length").flatMap(Int.init), length > settings.maximumBodyBytes {
                refuseBody(head: head, context: context)
            } else {
                state = .receiving(head, context.channel.allocator.buffer(capacity: 0))
            }
        case (.body(var chunk), .receiving(let head, var body)):
            guard body.readableBytes + chunk.readableBytes <= settings.maximumBodyBytes else {
                refuseBody(head: head, context: context)
                return
            }
            body.writeBuffer(&chunk)
            state = .receiving(head, body)
        case (.end, .receiving(let head, let body)):
            deadline?.cancel()
            state = .responding
            serve(head: head, body: body, context: context)
        default:
            // The rest of a refused request, or parts NIO's pipelining helper would not pass on.
            break
        }
    }

    /// Counts the connection for the address of its request; only a change of address
    /// (in practice, the first request) touches the shared table. False when that
    /// address already has its share of connections.
    private func count(_ address: String) -> Bool {
        guard address != countedAddress else { return true }
        if let countedAddress { addresses.removeConnection(countedAddress) }
        countedAddress = addresses.addConnection(address) ? address : nil
        return countedAddress != nil
    }

    private func serve(head: HTTPRequestHead, body: ByteBuffer, context: ChannelHandlerContext) {
        let request = IncomingHTTPRequest(method: head.method, uri: head.uri, headers: head.headers, body: Array(body.readableBytesView))
        var requestCaller = self.caller
        let address = countedAddress ?? ClientAddress.untrusted
        requestCaller.clientAddress = address
        let caller = requestCaller
        let router = self.router
        context.eventLoop.makeFutureWithTask { await router.respond(to: request, caller: caller) }
            .assumeIsolated().whenSuccess { outcome in
                switch outcome {
                case .reply(let reply):
                    self.write(reply, to: head, context: context)
                case .eventStream(let first, let followUp):
                    guard followUp == nil || self.addresses.addStream(address) else {
                        // Dropping the follow-up ends its subscription too.
                        let error = JSONRPCError.tooManyWatches(limit: self.addresses.maximumStreams, scope: .address)
                        self.write(.error(error), to: head, forceClose: true, context: context)
                        return
                    }
                    if followUp != nil { self.streamAddress = address }
                    self.stream(first: first, followUp: followUp, to: head, context: context)
                }
            }
    }

    private func write(_ reply: HTTPReply, to head: HTTPRequestHead, forceClose: Bool = false, context: ChannelHandlerContext) {
        let keepAlive = head.isKeepAlive && !inputClosed && !forceClose
        var headers = HTTPHeaders()
        if reply.status != .noContent {
            headers.add(name: "Content-Type", value: reply.contentType)
            headers.add(name: "Content-Length", value: String(reply.body.count))
        }
        headers.add(name: "Cache-Control", value: "no-store")
        headers.add(name: "X-Content-Type-Options", value: "nosniff")
        for (name, value) in reply.extraHeaders { headers.add(name: name, value: value) }
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        logger.debug(
            "http", metadata: ["request": "\(head.method.rawValue) \(head.uri.prefix { $0 != "?" })", "status": "\(reply.status.code)",
                               "uid": "\(caller.uid)"])
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: reply.status, headers: headers))), promise: nil)
        if !reply.body.isEmpty && head.method != .HEAD {
            var buffer = context.channel.allocator.buffer(capacity: reply.body.count)
            buffer.writeBytes(reply.body)
            context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        writeEnd(keepAlive: keepAlive, lingering: forceClose, context: context)
    }

    /// Ends a response. On a kept-alive connection the handler is ready for the next
    /// request first: NIO's pipelining helper delivers a request that arrived early
    /// while this end is being written.
    private func writeEnd(keepAlive: Bool, lingering: Bool, context: ChannelHandlerContext) {
        if keepAlive {
            state = .waiting
            armDeadline(context: context)
        }
        unfinishedResponses += 1
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            self.unfinishedResponses -= 1
            self.finished(keepAlive: keepAlive, lingering: lingering, context: context)
        }
    }

    /// The event stream: the status now, then each change the watch reports, a comment
    /// line every keep-alive interval, and the end of the response once the job settles
    /// (the watch's follow-up returns then) or the caller goes away.
    private func stream(
        first: JSONValue, followUp: (@Sendable (NotificationSink) async -> Void)?, to head: HTTPRequestHead,
        context: ChannelHandlerContext
    ) {
        logger.debug("http event stream", metadata: ["request": "\(head.method.rawValue) \(head.uri)", "uid": "\(caller.uid)"])
        // The stream ends the connection: requests pipelined behind it are not served.
        var responseHead = ServerSentEvents.head(version: head.version)
        responseHead.headers.add(name: "Connection", value: "close")
        context.write(wrapOutboundOut(.head(responseHead)), promise: nil)
        var buffer = context.channel.allocator.buffer(capacity: 512)
        buffer.writeString(ServerSentEvents.event("status", data: first))
        context.writeAndFlush(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        guard let followUp else {
            endStream(context: context)
            return
        }
        let channel = context.channel
        let sink = EventStreamSink(channel: channel)
        let interval = TimeAmount.seconds(settings.eventStreamKeepAliveSeconds)
        let keepAliveTask = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            var buffer = channel.allocator.buffer(capacity: 16)
            buffer.writeString(ServerSentEvents.keepAlive)
            channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer)), promise: nil)
        }
        context.eventLoop.makeFutureWithTask { await followUp(sink) }.assumeIsolated().whenComplete { _ in
            keepAliveTask.cancel()
            if let address = self.streamAddress {
                self.addresses.removeStream(address)
                self.streamAddress = nil
            }
            self.endStream(context: context)
        }
    }

    private func endStream(context: ChannelHandlerContext) {
        guard context.channel.isActive else { return }
        writeEnd(keepAlive: false, lingering: false, context: context)
    }

    /// 413 before reading a body that is too large, then the connection ends.
    private func refuseBody(head: HTTPRequestHead, context: ChannelHandlerContext) {
        let error = JSONRPCError(
            code: JSONRPCError.invalidRequestCode, message: "The request body is larger than \(settings.maximumBodyBytes) bytes.",
            data: ["reason": "body_too_large", "limit": .int(Int64(settings.maximumBodyBytes))])
        refuse(head: head, error, status: .payloadTooLarge, context: context)
    }

    /// Answers a request with an error before reading its body, then ends the connection.
    private func refuse(head: HTTPRequestHead, _ error: JSONRPCError, status: HTTPResponseStatus? = nil, context: ChannelHandlerContext) {
        state = .refused
        deadline?.cancel()
        write(.error(error, status: status), to: head, forceClose: true, context: context)
    }

    private func finished(keepAlive: Bool, lingering: Bool, context: ChannelHandlerContext) {
        guard keepAlive else {
            if lingering {
                // The caller may still be sending: closing at once would reset the connection and
                // could destroy the answer in flight, so stop writing and give it a moment to read.
                context.close(mode: .output, promise: nil)
                let channel = context.channel
                context.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
            } else {
                context.close(promise: nil)
            }
            return
        }
        // The caller finished sending while this response was going out, and sent nothing more.
        if inputClosed, case .waiting = state, unfinishedResponses == 0 { context.close(promise: nil) }
    }

    private func armDeadline(context: ChannelHandlerContext) {
        deadline?.cancel()
        let channel = context.channel
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: .seconds(settings.requestTimeoutSeconds)) {
            switch self.state {
            case .waiting, .receiving: channel.close(promise: nil)
            case .refused, .responding: break
            }
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed {
            inputClosed = true
            if case .waiting = state, unfinishedResponses == 0 { context.close(promise: nil) }
        } else if event is IdleStateHandler.IdleStateEvent {
            // The socket-wide idle timeout: an open event stream is not idle.
            if case .responding = state { return }
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // One connection's failure stays with that connection.
        logger.debug("http connection error", metadata: ["error": "\(error)", "uid": "\(caller.uid)"])
        context.close(promise: nil)
    }
}
