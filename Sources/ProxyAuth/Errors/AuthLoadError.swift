/// Why an authentication file (htpasswd, API keys) or a JWKS document could not be loaded.
///
/// Loading never stops at the first mistake: ``problems`` holds every one, in file order, so
/// a single run of `portcullis check` shows them all. Each problem names its line when it has
/// one, and the user or key involved, but never a secret:
///
///     line 3: user bob: unsupported hash scheme $apr1$; use bcrypt ($2y$) or SHA-512-crypt ($6$)
///     line 7: not a SHA-256 digest (expected 64 hex characters; store the key's digest, not the key)
///     keys[1] (kid "2024-05"): unsupported kty "OKP"
///
/// The caller prefixes the file name, as it does for configuration diagnostics.
public struct AuthLoadError: Error, Hashable, Sendable, CustomStringConvertible {
    /// One thing wrong with the input.
    public struct Problem: Hashable, Sendable, CustomStringConvertible {
        /// The 1-based line, or `nil` when the problem belongs to the whole input (or to a JSON key).
        public let line: Int?
        /// What is wrong, without the line prefix.
        public let message: String

        public init(line: Int?, message: String) {
            self.line = line
            self.message = message
        }

        public var description: String {
            guard let line = self.line else { return self.message }
            return "line \(line): \(self.message)"
        }
    }

    /// Every problem found, in input order. Never empty.
    public let problems: [Problem]

    public init(problems: [Problem]) {
        precondition(!problems.isEmpty, "an AuthLoadError needs at least one problem")
        self.problems = problems
    }

    init(_ message: String, line: Int? = nil) {
        self.init(problems: [Problem(line: line, message: message)])
    }

    /// One problem per line.
    public var description: String {
        self.problems.map(\.description).joined(separator: "\n")
    }
}
