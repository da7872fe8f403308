import Testing
@testable import Protocol

/// The native compact writer gives byte for byte what jansson's sorted compact dump gives.
@Suite struct JSONWriterTests {
    static let samples: [JSONValue] = [
        .null, true, false, 0, -1, .int(Int64.max), .int(Int64.min), 1_000_000,
        .double(0.1), .double(-0.0), .double(123), .double(1e20), .double(1e-7), .double(1.5e300), .double(Double.leastNonzeroMagnitude),
        .double(.greatestFiniteMagnitude), .double(-2.5), .double(.nan), .double(.infinity),
        "", "plain", "quote \" backslash \\ slash /", "tab\t newline\n return\r back\u{08} feed\u{0C}",
        "\u{00}\u{01}\u{1F}\u{7F}", "é ü 日本 🚀 \u{2028}", [], [:], [1, "two", [3], ["four": 4]],
        ["b": 1, "a": 2, "A": 3, "aa": 4, "é": 5, "_": 6, "": 7],
        ["nested": ["z": [["y": .null, "x": [true, false]]], "k": .double(0.5)]],
    ]

    @Test(arguments: samples)
    func matchesJansson(_ value: JSONValue) {
        #expect(value.serialized() == value.janssonSerialized())
    }

    @Test func matchesJanssonOnGeneratedValues() {
        var generator = SplitMix(seed: 0x7133_d00d)
        for _ in 0..<300 {
            let value = Self.generate(depth: 3, &generator)
            #expect(value.serialized() == value.janssonSerialized())
        }
    }

    @Test func writesOneLine() throws {
        let value: JSONValue = ["text": "a\nb", "list": [1, 2]]
        #expect(!value.serialized().contains("\n"))
        #expect(try JSONValue.parse(value.serialized()) == value)
    }

    static func generate(depth: Int, _ generator: inout SplitMix) -> JSONValue {
        switch generator.next() % (depth > 0 ? 8 : 6) {
        case 0: return .null
        case 1: return .bool(generator.next() % 2 == 0)
        case 2: return .int(Int64(bitPattern: generator.next()))
        case 3: return .double(Double(bitPattern: generator.next()))
        case 4, 5:
            let scalars = (0..<(generator.next() % 12)).compactMap { _ in
                Unicode.Scalar(UInt32(generator.next() % 3 == 0 ? generator.next() % 0x80 : generator.next() % 0x3000))
            }
            return .string(String(String.UnicodeScalarView(scalars)))
        case 6: return .array((0..<(generator.next() % 5)).map { _ in generate(depth: depth - 1, &generator) })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<(generator.next() % 5) {
                members["k\(generator.next() % 1000)"] = generate(depth: depth - 1, &generator)
            }
            return .object(members)
        }
    }
}

/// A small seeded generator, so a failure repeats.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
