/// Collects the diagnostics of one configuration file. Validation never stops at the first problem.
struct DiagnosticCollector {
    let file: String
    private(set) var diagnostics: [ConfigDiagnostic] = []

    init(file: String) {
        self.file = file
    }

    var errors: [ConfigDiagnostic] { self.diagnostics.filter { $0.severity == .error } }
    var warnings: [ConfigDiagnostic] { self.diagnostics.filter { $0.severity == .warning } }
    var hasErrors: Bool { self.diagnostics.contains { $0.severity == .error } }

    /// Records an error about `key`, located at `node`.
    mutating func report(_ key: String, at node: ConfigNode, _ message: String) {
        self.report(key, line: node.line, column: node.column, message)
    }

    mutating func report(
        _ key: String,
        line: Int,
        column: Int,
        _ message: String,
        severity: ConfigDiagnostic.Severity = .error
    ) {
        self.diagnostics.append(
            ConfigDiagnostic(
                file: self.file,
                line: line,
                column: column,
                key: key,
                message: message,
                severity: severity
            )
        )
    }

    mutating func warn(_ key: String, line: Int, column: Int, _ message: String) {
        self.report(key, line: line, column: column, message, severity: .warning)
    }

    mutating func append(_ diagnostic: ConfigDiagnostic) {
        self.diagnostics.append(diagnostic)
    }

    /// The diagnostics in file order; problems found at the same spot keep the order they were found in.
    var sorted: [ConfigDiagnostic] {
        self.diagnostics.enumerated()
            .sorted {
                ($0.element.line, $0.element.column, $0.offset) < ($1.element.line, $1.element.column, $1.offset)
            }
            .map(\.element)
    }
}
