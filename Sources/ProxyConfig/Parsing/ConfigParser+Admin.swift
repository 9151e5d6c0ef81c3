extension ConfigParser {
    // MARK: admin

    mutating func admin(_ node: ConfigNode, key: String) -> AdminConfiguration {
        var admin = AdminConfiguration()
        guard let fields = self.fields(of: node, key: key, allowed: ["enabled", "bind", "token"]) else {
            return admin
        }
        if let node = fields["enabled"], let enabled = self.bool(node, key: fields.key("enabled")) {
            admin.enabled = enabled
        }
        if let node = fields["bind"], let text = self.string(node, key: fields.key("bind")) {
            switch AddressSyntax.parse(text, allowsWildcard: true) {
            case .success(let address):
                admin.bind = address
            case .failure(let problem):
                self.problems.report(fields.key("bind"), at: node, problem.message)
            }
        }
        if let node = fields["token"], let token = self.string(node, key: fields.key("token")) {
            if token.count < 16 {
                self.problems.report(fields.key("token"), at: node, "must be at least 16 characters")
            } else {
                admin.token = token
            }
        }
        if admin.enabled, admin.token == nil, !Self.isLoopback(admin.bind.host) {
            let at = fields["bind"] ?? node
            self.problems.warn(
                fields.key("bind"),
                line: at.line,
                column: at.column,
                "the admin API on \(admin.bind) is reachable from other hosts and has no token; set admin.token or bind to 127.0.0.1"
            )
        }
        return admin
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || host == "::1" || host.hasPrefix("127.")
    }

    // MARK: global.access_log

    mutating func accessLog(_ node: ConfigNode, key: String, into settings: inout GlobalSettings) {
        if case .mapping = node.content {
            guard let fields = self.fields(of: node, key: key, allowed: ["enabled", "format", "path"]) else { return }
            if let node = fields["enabled"], let enabled = self.bool(node, key: fields.key("enabled")) {
                settings.accessLog = enabled
            }
            if let node = fields["format"],
                let format = self.choice(node, key: fields.key("format"), of: AccessLogFormat.self, noun: "access log format")
            {
                settings.accessLogFormat = format
            }
            if let node = fields["path"], let path = self.string(node, key: fields.key("path")) {
                settings.accessLogPath = path == "-" ? nil : FilePaths.resolve(path, relativeTo: self.baseDirectory)
            }
        } else if let enabled = self.bool(node, key: key) {
            settings.accessLog = enabled
        }
    }
}
