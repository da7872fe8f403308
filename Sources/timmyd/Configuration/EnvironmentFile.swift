/// Reads `KEY=VALUE` lines, as systemd's `EnvironmentFile=` and docker's `--env-file`
/// do: `#` starts a comment line, `export ` is allowed, and a value may be wrapped in
/// single or double quotes. Anything else is an error naming the line.
enum EnvironmentFile {
    static func parse(_ text: String, path: String) throws -> [String: String] {
        var values: [String: String] = [:]
        // In a Swift String "\r\n" is one Character, not "\r" followed by "\n": split on both,
        // or a file saved with CRLF line endings would read as a single line.
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" })
        for (offset, rawLine) in lines.enumerated() {
            var line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            if line.hasPrefix("export ") { line = line.dropFirst("export ".count).trimmingWhitespace() }
            guard let equals = line.firstIndex(of: "=") else {
                throw ConfigurationError("\(path):\(offset + 1): expected KEY=VALUE")
            }
            let key = String(line[..<equals].trimmingWhitespace())
            guard isValidName(key) else {
                throw ConfigurationError("\(path):\(offset + 1): \"\(key.prefix(40))\" is not a variable name")
            }
            var value = line[line.index(after: equals)...].trimmingWhitespace()
            if value.count >= 2, let first = value.first, first == "\"" || first == "'", value.last == first {
                value = value.dropFirst().dropLast()[...]
            }
            values[key] = String(value)
        }
        return values
    }

    static func isValidName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, first == "_" || (first.isASCII && first.properties.isAlphabetic)
        else { return false }
        return name.unicodeScalars.allSatisfy { $0 == "_" || ($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0))) }
    }
}

extension StringProtocol {
    func trimmingWhitespace() -> SubSequence {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\r" }
        guard let start = firstIndex(where: { !isSpace($0) }) else { return self[endIndex...] }
        let end = lastIndex(where: { !isSpace($0) })!
        return self[start...end]
    }
}
