/// One problem in a configuration file, or on the command line.
///
/// Its text has the shape of a compiler diagnostic, so editors and CI logs can link to the spot:
///
///     portcullis.yaml:24:18: listeners[0].routes[0].forward: no target group named "internal-admn" (did you mean "internal-admin"?)
///     portcullis.yaml:31:9: warning: listeners[0].routes[2]: route "api" can never match: ...
///
/// A diagnostic without a location (``line`` is 0), such as one about a command-line option or an
/// unreadable file, prints as `file: key: message`.
public struct ConfigDiagnostic: Error, Hashable, Sendable, CustomStringConvertible {
    /// How serious a diagnostic is.
    public enum Severity: String, Hashable, Sendable {
        /// The configuration cannot be used.
        case error
        /// The configuration can be used, but probably does not do what its author meant.
        case warning
    }

    /// The file name as given by the caller, `<embedded default>` or `<command line>`.
    public var file: String
    /// 1-based line number, or 0 when the problem has no place in a file.
    public var line: Int
    /// 1-based column number, or 0 when the problem has no place in a file.
    public var column: Int
    /// Dotted path of the offending key as users spell it, such as
    /// `listeners[0].tls.certificates[1].cert` or `target_groups.web.policy`, or a command-line
    /// option such as `--listen`. Empty for problems that concern the whole file, such as YAML syntax.
    public var key: String
    /// What is wrong and what was found. Says what to write instead when possible.
    public var message: String
    public var severity: Severity

    public init(
        file: String,
        line: Int,
        column: Int,
        key: String,
        message: String,
        severity: Severity = .error
    ) {
        self.file = file
        self.line = line
        self.column = column
        self.key = key
        self.message = message
        self.severity = severity
    }

    public var description: String {
        var text = self.file
        if self.line > 0 {
            text += ":\(self.line):\(self.column)"
        }
        text += ": "
        if self.severity == .warning {
            text += "warning: "
        }
        if !self.key.isEmpty {
            text += "\(self.key): "
        }
        return text + self.message
    }
}
