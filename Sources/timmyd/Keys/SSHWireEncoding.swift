/// Builds SSH wire-format data (RFC 4251 §5): uint32, string, mpint.
struct SSHWireWriter {
    private(set) var bytes: [UInt8] = []

    init(reservingCapacity capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func uint32(_ value: UInt32) {
        bytes.append(UInt8(truncatingIfNeeded: value >> 24))
        bytes.append(UInt8(truncatingIfNeeded: value >> 16))
        bytes.append(UInt8(truncatingIfNeeded: value >> 8))
        bytes.append(UInt8(truncatingIfNeeded: value))
    }

    mutating func string(_ value: [UInt8]) {
        uint32(UInt32(value.count))
        bytes.append(contentsOf: value)
    }

    mutating func string(_ value: String) { string(Array(value.utf8)) }

    /// A non-negative integer given as unsigned big-endian magnitude: leading
    /// zero bytes are dropped, then one zero byte is prepended if the high bit
    /// is set so the value does not read as negative. Zero is the empty string.
    mutating func mpint(unsigned magnitude: [UInt8]) {
        let trimmed = magnitude.drop { $0 == 0 }
        if let first = trimmed.first, first & 0x80 != 0 {
            uint32(UInt32(trimmed.count + 1))
            bytes.append(0)
        } else {
            uint32(UInt32(trimmed.count))
        }
        bytes.append(contentsOf: trimmed)
    }

    mutating func raw(_ value: [UInt8]) { bytes.append(contentsOf: value) }

    /// Zeroes the buffer (for writers that held private key material).
    mutating func wipe() { secureZero(&bytes) }
}

/// Reads SSH wire-format data, failing with `KeyError.malformedKeyBlob`.
struct SSHWireReader {
    private let bytes: [UInt8]
    private var offset = 0

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    var isAtEnd: Bool { offset == bytes.count }
    var remaining: Int { bytes.count - offset }

    mutating func uint32() throws -> UInt32 {
        guard remaining >= 4 else { throw KeyError.malformedKeyBlob("truncated (expected a 4-byte length or integer)") }
        var value: UInt32 = 0
        for i in 0..<4 { value = value << 8 | UInt32(bytes[offset + i]) }
        offset += 4
        return value
    }

    mutating func string() throws -> [UInt8] {
        let length = Int(try uint32())
        guard length <= remaining else {
            throw KeyError.malformedKeyBlob("truncated (a field claims \(length) bytes, \(remaining) remain)")
        }
        defer { offset += length }
        return Array(bytes[offset..<offset + length])
    }

    /// The next `count` raw bytes.
    mutating func bytes(_ count: Int) throws -> [UInt8] {
        guard count >= 0, count <= remaining else { throw KeyError.malformedKeyBlob("truncated") }
        defer { offset += count }
        return Array(bytes[offset..<offset + count])
    }

    /// A string that must be printable ASCII (key type names, curve names).
    mutating func asciiString() throws -> String {
        let raw = try string()
        guard raw.allSatisfy({ $0 >= 0x20 && $0 < 0x7f }) else {
            throw KeyError.malformedKeyBlob("a name field is not printable ASCII")
        }
        return String(decoding: raw, as: UTF8.self)
    }

    /// A non-negative mpint, returned as magnitude without leading zero bytes.
    mutating func unsignedMPInt() throws -> [UInt8] {
        let raw = try string()
        if let first = raw.first, first & 0x80 != 0 {
            throw KeyError.malformedKeyBlob("an integer field is negative")
        }
        return Array(raw.drop { $0 == 0 })
    }

    func expectEnd() throws {
        guard isAtEnd else { throw KeyError.malformedKeyBlob("\(remaining) unexpected trailing bytes") }
    }
}

/// Bit length of an unsigned big-endian magnitude with no leading zero bytes.
func bitLength(ofMagnitude magnitude: [UInt8]) -> Int {
    guard let first = magnitude.first else { return 0 }
    return (magnitude.count - 1) * 8 + (8 - first.leadingZeroBitCount)
}
