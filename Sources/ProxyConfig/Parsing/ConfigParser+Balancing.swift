/// The blocks of a target group that tune balancing: `stickiness`, `retries`, `outlier_detection`.
extension ConfigParser {
    mutating func stickiness(_ node: ConfigNode, key: String) -> StickinessConfiguration {
        var settings = StickinessConfiguration()
        guard let fields = self.fields(of: node, key: key, allowed: ["enabled", "cookie", "ttl"]) else {
            return settings
        }
        if let node = fields["enabled"], let value = self.bool(node, key: fields.key("enabled")) {
            settings.enabled = value
        }
        if let node = fields["cookie"], let name = self.string(node, key: fields.key("cookie")) {
            if HTTPSyntax.isValidCookieName(name) {
                settings.cookieName = name
            } else {
                self.problems.report(
                    fields.key("cookie"),
                    at: node,
                    "\"\(name)\" is not a valid cookie name (letters, digits and !#$%&'*+-.^_`|~ only; no spaces, \"=\", \";\" or \",\")"
                )
            }
        }
        if let node = fields["ttl"] {
            if node.isNull {
                settings.ttl = nil
            } else if let value = self.duration(
                node,
                key: fields.key("ttl"),
                allowsZero: true,
                in: .zero...StickinessConfiguration.maximumTTL
            ) {
                settings.ttl = value == .zero ? nil : value
            }
        }
        return settings
    }

    mutating func retries(_ node: ConfigNode, key: String) -> RetryConfiguration {
        var settings = RetryConfiguration()
        let allowed = ["max_tries", "budget", "retry_on_timeout"]
        guard let fields = self.fields(of: node, key: key, allowed: allowed) else { return settings }
        if let node = fields["max_tries"], let value = self.integer(node, key: fields.key("max_tries"), in: 1...10) {
            settings.maxTries = value
        }
        if let node = fields["budget"], let value = self.percent(node, key: fields.key("budget")) {
            settings.budgetPercent = value
        }
        if let node = fields["retry_on_timeout"], let value = self.bool(node, key: fields.key("retry_on_timeout")) {
            settings.retryOnTimeout = value
        }
        return settings
    }

    mutating func outlierDetection(_ node: ConfigNode, key: String) -> OutlierDetectionConfiguration {
        var settings = OutlierDetectionConfiguration()
        let allowed = ["enabled", "consecutive_failures", "base_ejection_time", "max_ejection_percent"]
        guard let fields = self.fields(of: node, key: key, allowed: allowed) else { return settings }
        if let node = fields["enabled"], let value = self.bool(node, key: fields.key("enabled")) {
            settings.enabled = value
        }
        if let node = fields["consecutive_failures"],
            let value = self.integer(node, key: fields.key("consecutive_failures"), in: 1...1000)
        {
            settings.consecutiveFailures = value
        }
        if let node = fields["base_ejection_time"],
            let value = self.duration(node, key: fields.key("base_ejection_time"))
        {
            settings.baseEjectionTime = value
        }
        if let node = fields["max_ejection_percent"],
            let value = self.percent(node, key: fields.key("max_ejection_percent"), wholeOnly: true)
        {
            settings.maxEjectionPercent = Int(value)
        }
        return settings
    }

    /// Warns about balancing settings that the group's policy makes pointless: with `ip_hash` a
    /// client already keeps reaching one target, and its hash does not follow weights that grow.
    mutating func warnAboutIgnoredBalancingKeys(_ group: TargetGroupConfiguration, fields: MappingFields) {
        guard group.policy == .ipHash else { return }
        if group.stickiness.enabled, let node = fields["stickiness"]?.value(forKey: "enabled") {
            self.problems.warn(
                fields.key("stickiness.enabled"),
                line: node.line,
                column: node.column,
                "is redundant with policy ip_hash, which already sends each client to the same target"
            )
        }
        if group.slowStart != .zero, let node = fields["slow_start"] {
            self.problems.warn(
                fields.key("slow_start"),
                line: node.line,
                column: node.column,
                "is ignored by policy ip_hash, which does not shift traffic gradually to a new target"
            )
        }
    }
}
