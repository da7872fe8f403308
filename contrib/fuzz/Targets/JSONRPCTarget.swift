import Protocol

/// One line as the daemon reads it, up to the point where a method would run:
/// JSON parsing (jansson), the JSON-RPC 2.0 envelope and batches, the method
/// name, and the params of every method. Checked: a parsed value survives
/// writing and reading back unchanged; every reply the daemon could send for
/// the line (errors echo parts of the input) is valid JSON.
@_cdecl("LLVMFuzzerTestOneInput")
public func jsonRPCTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let line = UnsafeBufferPointer(start: data, count: size)
    if let value = try? JSONValue.parse(line) {
        let written = value.serialized()
        let reread = try? JSONValue.parse(written)
        precondition(reread == value, "JSON did not survive a round trip: \(written)")
        _ = value.prettyPrinted()
    }
    switch IncomingMessage(line: line) {
    case .unusable(let error):
        reply(JSONRPCResponse(id: .null, outcome: .failure(error)))
    case .single(let entry):
        handle(entry)
    case .batch(let entries):
        entries.forEach(handle)
    }
    return 0
}

private func handle(_ entry: IncomingEntry) {
    switch entry {
    case .invalid(let error, let id):
        reply(JSONRPCResponse(id: id, outcome: .failure(error)))
    case .request(let request):
        do {
            try decodeParams(request)
        } catch {
            reply(JSONRPCResponse(id: request.id ?? .null, outcome: .failure(error)))
        }
    }
}

/// Decodes params exactly as the daemon does, for every method: through the
/// method's descriptor, so a new method is fuzzed as soon as it is described.
private func decodeParams(_ request: JSONRPCRequest) throws(JSONRPCError) {
    guard let method = MethodName(rawValue: request.method).flatMap(RPCMethods.described) else { return }
    try method.checkParams(request.params)
}

private func reply(_ response: JSONRPCResponse) {
    let text = response.json.serialized()
    precondition((try? JSONValue.parse(text)) != nil, "a reply is not valid JSON: \(text)")
}
