import Protocol

/// Line framing and everything a line goes through before any method runs.
///
/// Input: byte 0 picks the line limit (1...256), byte 1 the chunk size (1...64);
/// the rest is fed to a `LineFramer` in chunks of that size, as a slow or bursty
/// sender would. Checked: no line holds `\n` or exceeds the limit; lines plus their
/// `\n`s plus the unfinished rest give back exactly the bytes fed, up to a refusal;
/// each line is classified as JSON-RPC without crashing.
@_cdecl("LLVMFuzzerTestOneInput")
public func lineFramingTarget(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let input = Array(UnsafeBufferPointer(start: data, count: size))
    guard input.count >= 2 else { return 0 }
    let limit = Int(input[0]) + 1
    let chunk = Int(input[1] % 64) + 1
    let stream = Array(input[2...])
    var framer = LineFramer(maximumLineLength: limit)
    var rebuilt: [UInt8] = []
    var offset = 0
    var refused = false
    feeding: while offset < stream.count {
        let end = min(offset + chunk, stream.count)
        framer.append(stream[offset..<end])
        offset = end
        while true {
            let line: [UInt8]?
            do { line = try framer.nextLine() } catch {
                refused = true
                break feeding
            }
            guard let line else { break }
            precondition(!line.contains(UInt8(ascii: "\n")), "a line holds a newline")
            precondition(line.count <= limit, "a line is over the limit")
            _ = IncomingMessage(line: line)
            rebuilt += line + [UInt8(ascii: "\n")]
        }
    }
    if !refused {
        if let rest = framer.finish() {
            precondition(rest.count <= limit, "the unfinished rest is over the limit")
            _ = IncomingMessage(line: rest)
            rebuilt += rest
        }
        precondition(rebuilt == stream, "framing lost, added or reordered bytes")
    } else {
        precondition(stream.starts(with: rebuilt), "framing changed bytes before the refusal")
    }
    return 0
}
