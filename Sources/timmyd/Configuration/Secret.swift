/// An operator secret (API token or key). It prints as `<redacted>` in every
/// interpolation, log line and dump, so only a deliberate `reveal()` exposes it.
struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    private let value: String

    init(_ value: String) { self.value = value }

    func reveal() -> String { value }

    var description: String { "<redacted>" }
    var debugDescription: String { "<redacted>" }
    /// No children, so `dump` and other reflection print `<redacted>` rather than the stored value.
    var customMirror: Mirror { Mirror(self, children: [:]) }
}
