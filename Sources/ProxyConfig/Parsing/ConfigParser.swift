/// Turns a YAML document into a ``ProxyConfiguration``, collecting every problem on the way.
///
/// The parser reads each section, reports what is wrong with it and substitutes the default for a
/// bad value, so that later sections, and the cross-section checks in `Validation/`, still run.
/// The result is only handed out when no error was found.
struct ConfigParser {
    var problems: DiagnosticCollector
    /// Relative certificate paths are resolved against this directory.
    let baseDirectory: String
    /// Whether certificate and key files must exist and be readable.
    let checkFilesExist: Bool

    /// The listeners as parsed, with the places of the values that cross-section checks point at.
    var parsedListeners: [ParsedListener] = []
    /// Target group names, where they were written.
    var parsedTargetGroupNames: [Located<String>] = []
    /// Rate limits with `shared: true`, which need `global.redis`.
    var sharedRateLimits: [Located<String>] = []

    init(file: String, baseDirectory: String, checkFilesExist: Bool) {
        self.problems = DiagnosticCollector(file: file)
        self.baseDirectory = baseDirectory
        self.checkFilesExist = checkFilesExist
    }

    /// Parses and validates one document.
    ///
    /// - Returns: The configuration, or `nil` when ``problems`` holds an error.
    mutating func parse(yaml: String) -> ProxyConfiguration? {
        let root: ConfigNode?
        do {
            root = try ConfigNode.parse(yaml: yaml, file: self.problems.file)
        } catch {
            self.problems.append(error)
            return nil
        }
        guard let root, !root.isNull else {
            self.problems.report(
                "",
                line: 0,
                column: 0,
                "the configuration is empty; it needs \"listeners\" (and \"target_groups\" for the routes that forward)"
            )
            return nil
        }
        guard let fields = self.fields(of: root, key: "", allowed: ["global", "listeners", "target_groups", "admin"]) else {
            return nil
        }

        let global = fields["global"].map { self.global($0, key: fields.key("global")) } ?? GlobalSettings()
        let admin = fields["admin"].map { self.admin($0, key: fields.key("admin")) } ?? AdminConfiguration()

        var listeners: [ListenerConfiguration] = []
        if let node = fields["listeners"] {
            listeners = self.listeners(node, key: fields.key("listeners"))
        } else {
            self.reportMissing("listeners", in: fields)
        }

        // Optional: listeners whose routes all answer themselves (fixed responses, redirects),
        // such as a pure TLS-offload target, need no target group. A route that forwards to a
        // missing group is reported where it names it.
        var targetGroups: [TargetGroupConfiguration] = []
        if let node = fields["target_groups"] {
            targetGroups = self.targetGroups(node, key: fields.key("target_groups"))
        }

        if global.redis == nil {
            for shared in self.sharedRateLimits {
                self.problems.report(
                    shared.key,
                    line: shared.line,
                    column: shared.column,
                    "a shared rate limit keeps its bucket in Redis: add global.redis: {address: host:port}"
                )
            }
        }

        let validator = CrossSectionValidator(
            listeners: self.parsedListeners,
            targetGroupNames: self.parsedTargetGroupNames
        )
        validator.validate(into: &self.problems)

        guard !self.problems.hasErrors else { return nil }
        return ProxyConfiguration(
            global: global,
            admin: admin,
            listeners: listeners,
            targetGroups: targetGroups,
            sourceFile: self.problems.file,
            warnings: self.problems.sorted.filter { $0.severity == .warning }
        )
    }

    // MARK: global

    private mutating func global(_ node: ConfigNode, key: String) -> GlobalSettings {
        var settings = GlobalSettings()
        guard
            let fields = self.fields(
                of: node,
                key: key,
                allowed: ["event_loops", "shutdown_grace", "shutdown_delay", "log_level", "access_log", "redis", "resolvers"]
            )
        else {
            return settings
        }
        if let node = fields["event_loops"] {
            if node.scalar?.text == "auto" {
                settings.eventLoops = .automatic
            } else if case .integer = node.scalar?.kind,
                let count = self.integer(node, key: fields.key("event_loops"), in: 1...1024)
            {
                settings.eventLoops = .fixed(count)
            } else if case .integer = node.scalar?.kind {
                // Out of range; already reported.
            } else {
                self.problems.report(
                    fields.key("event_loops"),
                    at: node,
                    "must be \"auto\" or an integer in 1...1024 (got \(node.quotedDescription))"
                )
            }
        }
        if let node = fields["shutdown_grace"],
            let grace = self.duration(node, key: fields.key("shutdown_grace"), allowsZero: true)
        {
            settings.shutdownGrace = grace
        }
        if let node = fields["shutdown_delay"],
            let delay = self.duration(node, key: fields.key("shutdown_delay"), allowsZero: true)
        {
            settings.shutdownDelay = delay
        }
        if let node = fields["log_level"],
            let level = self.choice(node, key: fields.key("log_level"), of: LogLevel.self, noun: "log level")
        {
            settings.logLevel = level
        }
        if let node = fields["access_log"] {
            self.accessLog(node, key: fields.key("access_log"), into: &settings)
        }
        if let node = fields["redis"], let redis = self.fields(of: node, key: fields.key("redis"), allowed: ["address"]) {
            if let node = redis["address"], let text = self.string(node, key: redis.key("address")) {
                switch AddressSyntax.parse(text, allowsWildcard: false) {
                case .success(let address): settings.redis = address
                case .failure(let problem): self.problems.report(redis.key("address"), at: node, problem.message)
                }
            } else if redis["address"] == nil {
                self.reportMissing("address", in: redis, " (such as 127.0.0.1:6379)")
            }
        }
        if let node = fields["resolvers"] {
            settings.resolvers = self.resolvers(node, key: fields.key("resolvers"))
        }
        return settings
    }
}
