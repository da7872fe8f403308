import Foundation
import Protocol
import Testing

/// Watches one connection's traffic and checks every reply against the daemon's own
/// `rpc.discover`: each result against its method's result schema, each error's shape,
/// each notification against its schema when the document describes it. A mismatch is
/// reported (by default as a test issue, so the test that received it fails) with the
/// method, the JSON pointer, what the schema expected and what came.
///
/// It learns which method a reply answers from the requests sent on the same connection
/// (by id); lines that are no JSON-RPC (garbage an abuse test sends, HTTP) are skipped.
final class ReplyChecker: RPCTrafficObserver, @unchecked Sendable {
    let contract: RPCContract
    private let report: (String) -> Void
    private let lock = NSLock()
    private var unsentLine: [UInt8] = []
    /// Methods awaiting a reply, by request id; a list, as raw tests reuse ids.
    private var pending: [String: [String]] = [:]
    private var checked = 0

    /// How many replies and notifications were checked, so a test can tell the checker ran.
    var checkedCount: Int { lock.withLock { checked } }

    init(contract: RPCContract, report: @escaping (String) -> Void = { Issue.record(Comment(rawValue: $0)) }) {
        self.contract = contract
        self.report = report
    }

    func sent(_ bytes: [UInt8]) {
        lock.withLock {
            unsentLine += bytes
            while let newline = unsentLine.firstIndex(of: 10) {
                remember(Array(unsentLine[..<newline]))
                unsentLine.removeSubrange(...newline)
            }
        }
    }

    func received(line: [UInt8]) {
        guard let message = try? JSONValue.parse(line) else { return }
        let problems = lock.withLock { check(message) }
        for problem in problems { report(problem) }
    }

    private func remember(_ line: [UInt8]) {
        guard let message = try? JSONValue.parse(line) else { return }
        for request in message.arrayValue ?? [message] {
            guard let method = request["method"]?.stringValue, let id = request["id"] else { continue }
            pending[id.serialized(), default: []].append(method)
        }
    }

    private func check(_ message: JSONValue) -> [String] {
        (message.arrayValue ?? [message]).flatMap { checkOne($0) }
    }

    private func checkOne(_ message: JSONValue) -> [String] {
        guard message["jsonrpc"] == "2.0" else { return [] }
        checked += 1
        if let method = message["method"]?.stringValue, message["id"] == nil {
            return contract.violations(notification: method, params: message["params"])
                .map { "notification \(method) does not match rpc.discover: \($0)" }
        }
        let id = message["id"]?.serialized()
        let candidates = id.flatMap { pending[$0] } ?? []
        if let error = message["error"] {
            if let id, !candidates.isEmpty { pending[id]?.removeFirst() }
            let method = candidates.first ?? "a request"
            return RPCContract.violations(error: error).map { "error reply to \(method) has the wrong shape: \($0)" }
        }
        guard let result = message["result"], let id, !candidates.isEmpty else { return [] }
        // With an id reused for several methods, the reply is right if it is right for one of them.
        var firstProblems: [SchemaViolation] = []
        for (index, method) in candidates.enumerated() {
            let problems = contract.violations(result: result, of: method)
            if problems.isEmpty {
                pending[id]?.remove(at: index)
                return []
            }
            if index == 0 { firstProblems = problems }
        }
        pending[id]?.removeFirst()
        return firstProblems.map { "result of \(candidates[0]) does not match rpc.discover: \($0)" }
    }
}

/// Each daemon's `rpc.discover`, fetched once per daemon start and kept by socket path,
/// so every connection a test opens is checked against the daemon it talks to.
enum RPCContracts {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var bySocket: [String: RPCContract] = [:]

    /// Asks the daemon on `socketPath` for its document (one connection) and keeps it.
    @discardableResult
    static func fetch(socketPath: String) -> RPCContract? {
        guard let client = try? RPCClient(socketPath: socketPath), let document = try? client.call("rpc.discover") else {
            return nil
        }
        let contract = RPCContract(document: document)
        lock.withLock { bySocket[socketPath] = contract }
        return contract
    }

    static func known(socketPath: String) -> RPCContract? {
        lock.withLock { bySocket[socketPath] }
    }

    /// A checker for a new connection to `socketPath`, or nil when the daemon's document
    /// is not known (a daemon a test launched without waiting for it).
    static func checker(socketPath: String) -> ReplyChecker? {
        known(socketPath: socketPath).map { ReplyChecker(contract: $0) }
    }
}
