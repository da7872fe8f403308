/// The ASCII character classes the settings and input checks are written in, named
/// once so every check means the same thing by "digits" or "lower-case hex".
enum ScalarSets {
    static let digits = Set("0123456789".unicodeScalars)
    static let lowerHex = Set("0123456789abcdef".unicodeScalars)
    static let lowerLetters = Set("abcdefghijklmnopqrstuvwxyz".unicodeScalars)
    static let upperLetters = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZ".unicodeScalars)
    static let lowerAlphanumerics = lowerLetters.union(digits)
    static let alphanumerics = lowerLetters.union(upperLetters).union(digits)
    /// RFC 4648 section 5, without padding.
    static let base64URL = alphanumerics.union(["-", "_"])
}
