/// Why timmyd refuses to start with the configuration it was given. The message
/// names the variable or file at fault and never a secret's value.
struct ConfigurationError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) { self.description = description }
}
