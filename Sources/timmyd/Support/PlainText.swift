/// Text a caller gives that timmyd shows to someone else as it is (a job's label, a
/// node's setup message): control characters could rewrite a terminal, and format or
/// separator characters (bidi overrides, isolates, zero-width marks) could make it
/// read differently from what it is.
enum PlainText {
    /// The first control, format, line- or paragraph-separator character, nil if there is none.
    static func firstHiddenScalar(in text: String) -> Unicode.Scalar? {
        text.unicodeScalars.first { scalar in
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator: true
            default: false
            }
        }
    }
}
