extension ProxyConfiguration {
    /// Reads, parses and validates the configuration file at `path`.
    ///
    /// Relative certificate and key paths in the file are taken relative to the file's directory.
    /// Certificate and key files must exist and be readable.
    ///
    /// - Parameter path: The file to read. Diagnostics name it as given.
    /// - Returns: The validated configuration. Its ``warnings`` hold the non-fatal problems.
    /// - Throws: ``ConfigValidationError`` with every error found, or with one error when the
    ///   file cannot be read.
    public static func load(path: String) throws(ConfigValidationError) -> ProxyConfiguration {
        let yaml: String
        switch FilePaths.read(path) {
        case .success(let text):
            yaml = text
        case .failure(let problem):
            throw ConfigValidationError(diagnostics: [
                ConfigDiagnostic(file: path, line: 0, column: 0, key: "", message: problem.message)
            ])
        }
        return try Self.parse(yaml: yaml, file: path, baseDirectory: FilePaths.directory(of: path))
    }

    /// Parses and validates a configuration held in memory.
    ///
    /// - Parameters:
    ///   - yaml: The configuration text.
    ///   - file: The name used in diagnostics and stored as ``sourceFile``.
    ///   - baseDirectory: The directory relative certificate and key paths are resolved against;
    ///     itself relative to the current directory when not absolute.
    ///   - checkFilesExist: Whether certificate and key files must exist and be readable. Pass
    ///     `false` when they are created later, as for the embedded default before `portcullis certs`.
    /// - Throws: ``ConfigValidationError`` with every error found, in file order.
    public static func parse(
        yaml: String,
        file: String,
        baseDirectory: String,
        checkFilesExist: Bool = true
    ) throws(ConfigValidationError) -> ProxyConfiguration {
        var parser = ConfigParser(file: file, baseDirectory: baseDirectory, checkFilesExist: checkFilesExist)
        guard let configuration = parser.parse(yaml: yaml) else {
            throw ConfigValidationError(diagnostics: parser.problems.sorted.filter { $0.severity == .error })
        }
        return configuration
    }

    /// Validates the file at `path` and returns everything `portcullis check` prints.
    ///
    /// - Returns: The configuration when it has no errors, and every diagnostic (errors and
    ///   warnings) in file order. `portcullis check` prints each and exits 1 if any is an error.
    public static func check(path: String) -> (configuration: ProxyConfiguration?, diagnostics: [ConfigDiagnostic]) {
        let yaml: String
        switch FilePaths.read(path) {
        case .success(let text):
            yaml = text
        case .failure(let problem):
            return (nil, [ConfigDiagnostic(file: path, line: 0, column: 0, key: "", message: problem.message)])
        }
        var parser = ConfigParser(file: path, baseDirectory: FilePaths.directory(of: path), checkFilesExist: true)
        let configuration = parser.parse(yaml: yaml)
        return (configuration, parser.problems.sorted)
    }
}
