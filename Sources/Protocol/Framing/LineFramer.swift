/// Splits a byte stream into newline-delimited lines, refusing any line longer
/// than a limit so one caller cannot make the other side buffer without end.
///
/// The limit counts the line's bytes without its `\n`. A `\r` before the `\n`
/// is kept: JSON treats it as whitespace.
public struct LineFramer: Sendable {
    public static let defaultMaximumLineLength = 65_536

    public enum Failure: Error, Sendable, Equatable {
        case lineTooLong(limit: Int)
    }

    public let maximumLineLength: Int
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// Where the search for the next `\n` resumes, so a slow sender costs linear time.
    private var scanIndex = 0

    public init(maximumLineLength: Int = LineFramer.defaultMaximumLineLength) {
        self.maximumLineLength = maximumLineLength
    }

    public mutating func append(_ bytes: some Sequence<UInt8>) {
        buffer.append(contentsOf: bytes)
    }

    /// The next complete line, nil when more bytes are needed.
    public mutating func nextLine() throws(Failure) -> [UInt8]? {
        if let newline = buffer[scanIndex...].firstIndex(of: UInt8(ascii: "\n")) {
            guard newline - readIndex <= maximumLineLength else { throw .lineTooLong(limit: maximumLineLength) }
            let line = Array(buffer[readIndex..<newline])
            readIndex = newline + 1
            scanIndex = readIndex
            compactIfWorthIt()
            return line
        }
        scanIndex = buffer.count
        if buffer.count - readIndex > maximumLineLength { throw .lineTooLong(limit: maximumLineLength) }
        return nil
    }

    /// At end of input: the last line if it had no `\n`, else nil.
    public mutating func finish() -> [UInt8]? {
        defer {
            buffer = []
            readIndex = 0
            scanIndex = 0
        }
        let rest = buffer[readIndex...]
        return rest.isEmpty ? nil : Array(rest)
    }

    private mutating func compactIfWorthIt() {
        if readIndex == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            readIndex = 0
            scanIndex = 0
        } else if readIndex > 4096 && readIndex * 2 > buffer.count {
            buffer.removeFirst(readIndex)
            scanIndex -= readIndex
            readIndex = 0
        }
    }
}
