import Logging
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Protocol
import Testing
@testable import timmyd

/// Pipelined requests on one connection, through NIO's pipelining helper and the
/// connection handler on an in-memory channel: every request answered, in order.
@Suite(.timeLimit(.minutes(15))) struct HTTPPipeliningTests {
    static let ids = (0..<20).map { String(format: "0b9e4f5c-3f9a-4c1e-9d2b-7a6e5f4d%04x", $0) }

    func makeChannel() async throws -> NIOAsyncTestingChannel {
        let dispatcher = Dispatcher(
            handlers: [
                // Answered on a task, so every request is in before the first answer: the
                // pipelining helper holds the rest and hands each over as an answer ends.
                .status: { params, _ in MethodOutcome(["jobId": params?["jobId"] ?? .null]) }
            ], logger: Logger(label: "test"))
        let channel = NIOAsyncTestingChannel()
        try await channel.testingEventLoop.executeInContext {
            try channel.pipeline.syncOperations.addHandlers([
                HTTPServerPipelineHandler(),
                HTTPConnectionHandler(
                    router: HTTPRouter(dispatcher: dispatcher), caller: .testClient, settings: HTTPSettings(),
                    addresses: AddressLimiter(connections: 8, streams: 8), logger: Logger(label: "test")),
            ])
        }
        try await channel.connect(to: try SocketAddress(unixDomainSocketPath: "/tmp/timmyd-pipelining-test"))
        return channel
    }

    func send(_ ids: ArraySlice<String>, on channel: NIOAsyncTestingChannel) async throws {
        for id in ids {
            var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/api/bootstrap/\(id)")
            head.headers.add(name: "Authorization", value: "Bearer tat_x")
            try await channel.writeInbound(HTTPServerRequestPart.head(head))
            try await channel.writeInbound(HTTPServerRequestPart.end(nil))
        }
    }

    /// The job ids of the responses, in the order they were written, once `count` have ended.
    func answers(_ count: Int, on channel: NIOAsyncTestingChannel) async throws -> [String] {
        var ids: [String] = []
        var body: [UInt8] = []
        // No wall-clock deadline: blocking integration tests running beside this suite can
        // hold the whole task pool for minutes, and the answers then simply come later.
        // The suite's time limit ends a handler that never answers.
        while ids.count < count {
            guard let part = try await channel.readOutbound(as: HTTPServerResponsePart.self) else {
                try await Task.sleep(for: .milliseconds(5))
                continue
            }
            switch part {
            case .head(let head): #expect(head.status == .ok)
            case .body(.byteBuffer(let buffer)): body += buffer.readableBytesView
            case .body: Issue.record("unexpected body part")
            case .end:
                ids.append(try JSONValue.parse(body)["jobId"]?.stringValue ?? "?")
                body = []
            }
        }
        return ids
    }

    @Test func threePipelinedRequestsGetThreeAnswersInOrder() async throws {
        let channel = try await makeChannel()
        try await send(Self.ids.prefix(3), on: channel)
        #expect(try await answers(3, on: channel) == Array(Self.ids.prefix(3)))
    }

    @Test func twentyPipelinedRequestsGetTwentyAnswersInOrder() async throws {
        let channel = try await makeChannel()
        try await send(Self.ids[...], on: channel)
        #expect(try await answers(20, on: channel) == Self.ids)
    }
}
