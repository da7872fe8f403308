import NIOCore
import NIOHTTP1
import Protocol

/// Server-sent events: the `text/event-stream` framing, and a `NotificationSink` that
/// turns `bootstrap.watch` notifications into `event: status` messages. The watch
/// machinery behind it is exactly the one JSON-RPC callers use.
enum ServerSentEvents {
    /// One event. The JSON is compact (no newlines), so it fits one `data:` line.
    static func event(_ name: String, data: JSONValue) -> String {
        "event: \(name)\ndata: \(data.serialized())\n\n"
    }

    /// A comment line: ignored by readers, but traffic that keeps proxies from timing the stream out.
    static let keepAlive = ": keepalive\n\n"

    static func head(version: HTTPVersion) -> HTTPResponseHead {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: "text/event-stream")
        headers.add(name: "Cache-Control", value: "no-store")
        // nginx passes the stream through unbuffered even where the site config forgot to say so.
        headers.add(name: "X-Accel-Buffering", value: "no")
        return HTTPResponseHead(version: version, status: .ok, headers: headers)
    }
}

/// Writes each status change as an `event: status` on an HTTP response that stays open.
struct EventStreamSink: NotificationSink {
    let channel: Channel

    func send(method: String, params: JSONValue) async -> Bool {
        await write(ServerSentEvents.event("status", data: params))
    }

    func write(_ text: String) async -> Bool {
        var buffer = channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        do {
            try await channel.writeAndFlush(HTTPServerResponsePart.body(.byteBuffer(buffer))).get()
            return true
        } catch {
            return false
        }
    }

    func onClose(_ action: @escaping @Sendable () -> Void) {
        channel.closeFuture.whenComplete { _ in action() }
    }
}
