import NIOCore
import NIOHTTP1

/// Answers `GET /metrics` (and HEAD) with the exposition text, anything else with 404
/// (405 for another method on `/metrics`). The gauges read from the database are
/// refreshed off the event loop, since a busy database may make the read wait.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    private let scrape: @Sendable () async -> [UInt8]
    private var request: HTTPRequestHead?

    /// - Parameter scrape: the body of one scrape (it refreshes the gauges first).
    init(scrape: @escaping @Sendable () async -> [UInt8]) {
        self.scrape = scrape
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): request = head
        case .body: break  // a scrape has no body; whatever came is ignored
        case .end:
            guard let head = request else { return }
            request = nil
            answer(head, context: context)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // An idle connection (a scraper gone quiet) gives its file descriptor back.
        if event is IdleStateHandler.IdleStateEvent { context.close(promise: nil) }
        context.fireUserInboundEventTriggered(event)
    }

    private func answer(_ head: HTTPRequestHead, context: ChannelHandlerContext) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard path == "/metrics" else {
            return respond(.notFound, body: Array("Not found: timmyd serves /metrics here.\n".utf8), head: head, context: context)
        }
        guard head.method == .GET || head.method == .HEAD else {
            return respond(
                .methodNotAllowed, body: Array("Use GET.\n".utf8), head: head, context: context,
                extraHeaders: [("Allow", "GET, HEAD")])
        }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        let promise = context.eventLoop.makePromise(of: [UInt8].self)
        promise.completeWithTask { [scrape] in await scrape() }
        promise.futureResult.whenSuccess { body in
            let (handler, context) = loopBound.value
            handler.respond(.ok, body: body, head: head, context: context, contentType: Self.contentType)
        }
    }

    private func respond(
        _ status: HTTPResponseStatus, body: [UInt8], head: HTTPRequestHead, context: ChannelHandlerContext,
        contentType: String = "text/plain; charset=utf-8", extraHeaders: [(String, String)] = []
    ) {
        var headers = HTTPHeaders([("Content-Type", contentType), ("Content-Length", String(body.count))])
        headers.add(contentsOf: extraHeaders)
        let keepAlive = head.isKeepAlive
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
        if head.method != .HEAD {
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
        }
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: written)
        if !keepAlive {
            written.futureResult.whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        }
    }
}
