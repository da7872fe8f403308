import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Protocol
import Testing
@testable import timmyd

/// The JSON-RPC connection handler on an in-memory channel: framing, pipelining,
/// the in-flight cap, half-close and the over-long line, without a socket or a daemon.
@Suite struct RPCConnectionHandlerTests {
    /// Holds `bootstrap.status` calls until opened, and counts the calls that started.
    final class Gate: Sendable {
        private let state = NIOLockedValueBox<(open: Bool, started: Int, waiting: [CheckedContinuation<Void, Never>])>(
            (false, 0, []))

        var started: Int { state.withLockedValue { $0.started } }

        func pass() async {
            await withCheckedContinuation { continuation in
                let resumeNow = state.withLockedValue { state -> Bool in
                    state.started += 1
                    if state.open { return true }
                    state.waiting.append(continuation)
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        }

        func open() {
            let waiting = state.withLockedValue { state in
                state.open = true
                defer { state.waiting = [] }
                return state.waiting
            }
            waiting.forEach { $0.resume() }
        }
    }

    let gate = Gate()
    /// Polling rounds (a few ms each) before a wait gives up.
    static let rounds = 10_000
    /// The channel's event loop, for handlers that report where they run.
    let loop = NIOLockedValueBox<EventLoop?>(nil)

    func makeChannel(inFlight: Int = 16, maximumLine: Int = 1024) async throws -> NIOAsyncTestingChannel {
        let gate = self.gate
        let loop = self.loop
        let dispatcher = Dispatcher(
            handlers: [
                .daemonInfo: { _, _ in MethodOutcome(["fast": true]) },
                .cancel: { _, _ in MethodOutcome(["onLoop": .bool(loop.withLockedValue { $0 }?.inEventLoop ?? false)]) },
                .status: { _, _ in
                    await gate.pass()
                    return MethodOutcome(["slow": true])
                },
            ], logger: Logger(label: "test"))
        let limits = { var limits = CallerLimits(); limits.requestsInFlightPerConnection = inFlight; return limits }()
        let channel = NIOAsyncTestingChannel()
        try await channel.testingEventLoop.executeInContext {
            try channel.pipeline.syncOperations.addHandlers([
                ByteToMessageHandler(LineFrameDecoder(maximumLineLength: maximumLine)),
                RPCConnectionHandler(dispatcher: dispatcher, caller: .testClient, limits: limits, logger: Logger(label: "test")),
            ])
        }
        loop.withLockedValue { $0 = channel.eventLoop }
        try await channel.connect(to: try SocketAddress(unixDomainSocketPath: "/tmp/timmyd-rpc-handler-test"))
        return channel
    }

    static func request(_ method: String, id: Int) -> String { #"{"jsonrpc":"2.0","id":\#(id),"method":"\#(method)"}"# + "\n" }

    func send(_ text: String, on channel: NIOAsyncTestingChannel) async throws {
        try await channel.writeInbound(ByteBuffer(string: text))
    }

    /// The next `count` reply lines, in the order they were written.
    func replies(_ count: Int, on channel: NIOAsyncTestingChannel) async throws -> [JSONValue] {
        var lines: [JSONValue] = []
        var pending: [UInt8] = []
        // Bounded by rounds, not wall time: beside the integration suites the task pool is
        // starved for minutes, yet each round still lets the loop make progress.
        for _ in 0..<Self.rounds where lines.count < count {
            await channel.testingEventLoop.run()
            guard let buffer = try await channel.readOutbound(as: ByteBuffer.self) else {
                try await Task.sleep(for: .milliseconds(2))
                continue
            }
            pending += buffer.readableBytesView
            while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                lines.append(try JSONValue.parse(pending[..<newline]))
                pending.removeSubrange(...newline)
            }
        }
        return lines
    }

    /// Waits until `condition` holds, running the loop's work meanwhile.
    func eventually(on channel: NIOAsyncTestingChannel, _ condition: () async throws -> Bool) async throws -> Bool {
        for _ in 0..<Self.rounds {
            await channel.testingEventLoop.run()
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(2))
        }
        return false
    }

    @Test func linesInOneReadAreEachAnsweredWithTheirID() async throws {
        let channel = try await makeChannel()
        try await send(Self.request("daemon.info", id: 1) + Self.request("daemon.info", id: 2) + Self.request("daemon.info", id: 3), on: channel)
        let ids = try await replies(3, on: channel).compactMap { $0["id"]?.intValue }
        #expect(ids.sorted() == [1, 2, 3])
    }

    /// No hop to the global pool and back per request: a handler that does not suspend
    /// runs on the connection's own event loop.
    @Test func aRequestRunsOnItsConnectionsEventLoop() async throws {
        let channel = try await makeChannel()
        try await send(Self.request("bootstrap.cancel", id: 5), on: channel)
        let reply = try #require(try await replies(1, on: channel).first)
        #expect(reply["result"]?["onLoop"]?.boolValue == true)
    }

    @Test func aLineSplitAcrossReadsIsOneRequest() async throws {
        let channel = try await makeChannel()
        let line = Self.request("daemon.info", id: 7)
        let middle = line.index(line.startIndex, offsetBy: 10)
        try await send(String(line[..<middle]), on: channel)
        try await send(String(line[middle...]), on: channel)
        let reply = try #require(try await replies(1, on: channel).first)
        #expect(reply["id"]?.intValue == 7)
        #expect(reply["result"]?["fast"]?.boolValue == true)
    }

    @Test func blankLinesGetNoReply() async throws {
        let channel = try await makeChannel()
        try await send("\n \r\n\t\n" + Self.request("daemon.info", id: 4), on: channel)
        let all = try await replies(1, on: channel)
        #expect(all.map { $0["id"]?.intValue } == [4])
        await channel.testingEventLoop.run()
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
    }

    @Test func aSlowRequestDoesNotHoldBackAFastOneBehindIt() async throws {
        let channel = try await makeChannel()
        try await send(Self.request("bootstrap.status", id: 1) + Self.request("daemon.info", id: 2), on: channel)
        let first = try await replies(1, on: channel)
        #expect(first.map { $0["id"]?.intValue } == [2])
        gate.open()
        let second = try await replies(1, on: channel)
        #expect(second.map { $0["id"]?.intValue } == [1])
    }

    @Test func linesPastTheInFlightCapWaitUntilAReplyIsWritten() async throws {
        let channel = try await makeChannel(inFlight: 2)
        try await send((1...5).map { Self.request("bootstrap.status", id: $0) }.joined(), on: channel)
        #expect(try await eventually(on: channel) { gate.started == 2 })
        // Time for any wrongly started third call to show up.
        try await Task.sleep(for: .milliseconds(50))
        await channel.testingEventLoop.run()
        #expect(gate.started == 2)
        gate.open()
        let ids = try await replies(5, on: channel).compactMap { $0["id"]?.intValue }
        #expect(ids.sorted() == [1, 2, 3, 4, 5])
        #expect(gate.started == 5)
    }

    @Test func halfCloseStillWritesPendingRepliesThenCloses() async throws {
        let channel = try await makeChannel()
        try await send(Self.request("bootstrap.status", id: 9), on: channel)
        #expect(try await eventually(on: channel) { gate.started == 1 })
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        await channel.testingEventLoop.run()
        #expect(channel.isActive)
        gate.open()
        let reply = try await replies(1, on: channel)
        #expect(reply.map { $0["id"]?.intValue } == [9])
        #expect(try await eventually(on: channel) { !channel.isActive })
    }

    @Test func halfCloseWithNothingPendingClosesAtOnce() async throws {
        let channel = try await makeChannel()
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(try await eventually(on: channel) { !channel.isActive })
    }

    @Test func aLineOverTheLimitGetsLineTooLongAndNothingElseRuns() async throws {
        let channel = try await makeChannel(maximumLine: 1024)
        let long = #"{"jsonrpc":"2.0","id":1,"method":"bootstrap.status","params":{"x":""# + String(repeating: "a", count: 2000)
        try await send(long + "\"}}\n" + Self.request("daemon.info", id: 2), on: channel)
        let reply = try #require(try await replies(1, on: channel).first)
        #expect(reply["id"]?.isNull == true)
        #expect(reply["error"]?["code"]?.intValue == Int64(JSONRPCError.parseErrorCode))
        #expect(reply["error"]?["data"]?["reason"]?.stringValue == "line_too_long")
        #expect(reply["error"]?["data"]?["limit"]?.intValue == 1024)
        await channel.testingEventLoop.run()
        #expect(try await channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(gate.started == 0)
    }
}
