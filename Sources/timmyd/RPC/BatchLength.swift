/// Tells an over-long batch from its raw bytes, before it is parsed: building the
/// value tree of a 1,000-call batch costs far more than answering it with one error,
/// and a flood of such lines would keep the daemon's threads from other callers.
enum BatchLength {
    /// True when `line` is a JSON array with more than `limit` top-level elements. It
    /// counts the commas at depth one, outside strings, and stops as soon as it knows;
    /// a line that is not an array (or not JSON) is left to the parser.
    static func exceeds(_ line: [UInt8], limit: Int) -> Bool {
        var index = 0
        while index < line.count, line[index] == 0x20 || line[index] == 0x09 || line[index] == 0x0D || line[index] == 0x0A {
            index += 1
        }
        guard index < line.count, line[index] == UInt8(ascii: "[") else { return false }
        var depth = 0
        var inString = false
        var escaped = false
        var commas = 0
        while index < line.count {
            let byte = line[index]
            index += 1
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                }
                continue
            }
            switch byte {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "["), UInt8(ascii: "{"): depth += 1
            case UInt8(ascii: "]"), UInt8(ascii: "}"):
                depth -= 1
                if depth == 0 { return false }
            case UInt8(ascii: ",") where depth == 1:
                commas += 1
                if commas >= limit { return true }
            default: break
            }
        }
        return false
    }
}
