import CQRencode

/// A QR code symbol: a square of dark and light modules, encoded by libqrencode.
public struct QRCode: Sendable, Equatable {
    /// Modules per side, without the quiet zone.
    public let size: Int
    /// Row-major, `true` for a dark module.
    private let modules: [Bool]

    /// The light margin every reader expects around the symbol (ISO/IEC 18004: 4 modules).
    public static let quietZone = 4

    public struct EncodingError: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// Encodes `text` at error-correction level M. libqrencode splits the text into the
    /// densest modes itself, so an all-uppercase text travels in alphanumeric mode.
    public init(encoding text: String) throws(EncodingError) {
        guard !text.isEmpty, !text.utf8.contains(0) else { throw EncodingError(description: "nothing to encode") }
        guard let symbol = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1) else {
            throw EncodingError(description: "text too long for a QR code (\(text.utf8.count) bytes)")
        }
        defer { QRcode_free(symbol) }
        let width = Int(symbol.pointee.width)
        // Bit 0 of each byte is the module's colour; the other bits are libqrencode's bookkeeping.
        let data = UnsafeBufferPointer(start: symbol.pointee.data, count: width * width)
        size = width
        modules = data.map { $0 & 1 == 1 }
    }

    /// Whether the module at column `x`, row `y` is dark; everything outside the symbol
    /// (the quiet zone) is light.
    public func isDark(x: Int, y: Int) -> Bool {
        guard (0..<size).contains(x), (0..<size).contains(y) else { return false }
        return modules[y * size + x]
    }

    /// The payload a wallet expects for a BOLT 11 invoice. bech32 is case-insensitive and
    /// `LIGHTNING:` + the upper-cased invoice uses only QR's alphanumeric characters, which
    /// pack 5.5 bits per character instead of 8: a smaller, easier-to-scan code for the
    /// same invoice (the convention BOLT 11 wallets and BTCPay use).
    public static func lightningPayload(invoice: String) -> String {
        "LIGHTNING:" + invoice.uppercased()
    }
}
