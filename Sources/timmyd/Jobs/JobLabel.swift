import Protocol

/// The buyer's note on a job (`bootstrap.create {label}`), shown to the operator in
/// `timmyctl jobs` and logs. Refused unless it is plain visible text: control
/// characters could rewrite a terminal, and format characters (bidi overrides such
/// as U+202E, isolates U+2066–U+2069, zero-width U+200B–U+200F, U+FEFF) could make
/// it read differently from what it is.
enum JobLabel {
    static let maximumCharacters = 200

    /// The first character that is not allowed, nil if the label is fine.
    static func forbiddenScalar(in label: String) -> Unicode.Scalar? {
        PlainText.firstHiddenScalar(in: label)
    }

    static func validate(_ label: String) throws {
        guard label.count <= maximumCharacters else {
            throw JSONRPCError.invalidParams("label must be at most \(maximumCharacters) characters", field: "label")
        }
        if let scalar = forbiddenScalar(in: label) {
            let code = String(scalar.value, radix: 16, uppercase: true)
            throw JSONRPCError.invalidParams(
                "label must be plain text: U+\(String(repeating: "0", count: max(0, 4 - code.count)))\(code) "
                    + "(a control or invisible formatting character) is not allowed",
                field: "label")
        }
    }
}
