#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Compact JSON written straight to bytes, the same bytes jansson's compact, sorted-keys
/// dump gives (`serialized()` used to build a jansson tree per reply and dump it; that
/// was most of a daemon.info's instructions under callgrind).
extension JSONValue {
    /// Appends this value as compact JSON with sorted keys.
    public func write(into output: inout [UInt8]) {
        switch self {
        case .null: output += Self.nullBytes
        case .bool(let value): output += value ? Self.trueBytes : Self.falseBytes
        case .int(let value): Self.writeInteger(value, into: &output)
        case .double(let value): Self.writeDouble(value, into: &output)
        case .string(let value): Self.writeString(value, into: &output)
        case .array(let elements):
            output.append(UInt8(ascii: "["))
            for (index, element) in elements.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                element.write(into: &output)
            }
            output.append(UInt8(ascii: "]"))
        case .object(let members):
            output.append(UInt8(ascii: "{"))
            // jansson sorts by the keys' bytes (strcmp); so does this.
            let sorted = members.sorted { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
            for (index, member) in sorted.enumerated() {
                if index > 0 { output.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, into: &output)
                output.append(UInt8(ascii: ":"))
                member.value.write(into: &output)
            }
            output.append(UInt8(ascii: "}"))
        }
    }

    private static let nullBytes = Array("null".utf8)
    private static let trueBytes = Array("true".utf8)
    private static let falseBytes = Array("false".utf8)
    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    private static func writeInteger(_ value: Int64, into output: inout [UInt8]) {
        if value < 0 { output.append(UInt8(ascii: "-")) }
        // The magnitude as unsigned, so Int64.min has one too.
        var magnitude = value.magnitude
        // Least significant digit first, then turned around in place: no scratch array.
        let start = output.endIndex
        repeat {
            output.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        output[start...].reverse()
    }

    /// As jansson prints a real with precision 17: `%.17g`, ".0" added when it would read
    /// as an integer, no "+" and no leading zeros in the exponent. NaN and infinities,
    /// which JSON cannot spell, are null.
    private static func writeDouble(_ value: Double, into output: inout [UInt8]) {
        guard value.isFinite else { return output += nullBytes }
        var buffer = [CChar](repeating: 0, count: 40)
        let count = withVaList([value]) { vsnprintf(&buffer, buffer.count, "%.17g", $0) }
        var text = Array(buffer.prefix(Int(count)).map { UInt8(bitPattern: $0) })
        if !text.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") }) {
            text += [UInt8(ascii: "."), UInt8(ascii: "0")]
        }
        if let e = text.firstIndex(of: UInt8(ascii: "e")) {
            var exponent = Array(text[(e + 1)...])
            var sign: [UInt8] = []
            if exponent.first == UInt8(ascii: "+") {
                exponent.removeFirst()
            } else if exponent.first == UInt8(ascii: "-") {
                sign = [exponent.removeFirst()]
            }
            while exponent.count > 1 && exponent.first == UInt8(ascii: "0") { exponent.removeFirst() }
            text = Array(text[...e]) + sign + exponent
        }
        output += text
    }

    private static func writeString(_ value: String, into output: inout [UInt8]) {
        output.append(UInt8(ascii: "\""))
        var value = value
        value.withUTF8 { bytes in
            // Most text needs no escape: copied whole.
            guard bytes.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else {
                return output.append(contentsOf: bytes)
            }
            for byte in bytes { writeEscaped(byte, into: &output) }
        }
        output.append(UInt8(ascii: "\""))
    }

    private static func writeEscaped(_ byte: UInt8, into output: inout [UInt8]) {
        let escape: UInt8
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"): escape = byte
        case 0x08: escape = UInt8(ascii: "b")
        case 0x0C: escape = UInt8(ascii: "f")
        case 0x0A: escape = UInt8(ascii: "n")
        case 0x0D: escape = UInt8(ascii: "r")
        case 0x09: escape = UInt8(ascii: "t")
        case 0..<0x20:
            output.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")])
            output.append(hexDigits[Int(byte >> 4)])
            output.append(hexDigits[Int(byte & 0x0F)])
            return
        default:
            output.append(byte)
            return
        }
        output.append(UInt8(ascii: "\\"))
        output.append(escape)
    }
}
