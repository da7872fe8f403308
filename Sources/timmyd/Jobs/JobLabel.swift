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

    static func validate(_ label: String) throws(JobRuleViolation) {
        guard label.count <= maximumCharacters else { throw .labelTooLong(maximumCharacters: maximumCharacters) }
        if let scalar = forbiddenScalar(in: label) { throw .labelNotPlainText(scalar) }
    }
}
