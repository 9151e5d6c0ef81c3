/// Every error found in one configuration, reported together.
///
/// Parsing and validation never stop at the first problem. `portcullis check` prints
/// ``description``, one diagnostic per line, and exits 1.
public struct ConfigValidationError: Error, Sendable, CustomStringConvertible {
    /// The errors, in file order. Warnings are not included; see ``ProxyConfiguration/warnings``.
    public var diagnostics: [ConfigDiagnostic]

    public init(diagnostics: [ConfigDiagnostic]) {
        self.diagnostics = diagnostics
    }

    public var description: String {
        self.diagnostics.map(\.description).joined(separator: "\n")
    }
}
