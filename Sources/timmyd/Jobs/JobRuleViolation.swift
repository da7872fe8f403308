/// A request that breaks a rule about what a job may hold. What a caller sees of it is
/// decided at the edge, in `BusinessErrorMapping`.
enum JobRuleViolation: Error, Equatable, Sendable {
    /// A label longer than `JobLabel.maximumCharacters`.
    case labelTooLong(maximumCharacters: Int)
    /// A label with a control or invisible formatting character (the first one found).
    case labelNotPlainText(Unicode.Scalar)
}
