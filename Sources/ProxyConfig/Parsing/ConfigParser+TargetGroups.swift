extension ConfigParser {
    mutating func targetGroups(_ node: ConfigNode, key: String) -> [TargetGroupConfiguration] {
        guard case .mapping(let entries) = node.content else {
            self.problems.report(
                key,
                at: node,
                "expected a mapping from target group names to target groups, got \(node.typeName)"
            )
            return []
        }
        var groups: [TargetGroupConfiguration] = []
        for entry in entries {
            let fallbackKey = "\(key).\(entry.key.scalar?.text ?? "?")"
            guard let name = self.name(entry.key, key: fallbackKey) else { continue }
            self.parsedTargetGroupNames.append(Located(name, key: "\(key).\(name)", at: entry.key))
            if let group = self.targetGroup(entry.value, name: name, key: "\(key).\(name)") {
                groups.append(group)
            }
        }
        return groups
    }

    private static let targetGroupKeys = [
        "policy", "protocol", "targets", "health_check", "upstream", "stickiness", "slow_start", "all_unhealthy", "retries",
        "outlier_detection", "scaling",
    ]

    private mutating func targetGroup(_ node: ConfigNode, name: String, key: String) -> TargetGroupConfiguration? {
        guard let fields = self.fields(of: node, key: key, allowed: Self.targetGroupKeys) else {
            return nil
        }
        var group = TargetGroupConfiguration(name: name, targets: [])
        if let node = fields["policy"],
            let policy = self.choice(node, key: fields.key("policy"), of: BalancingPolicyName.self, noun: "policy")
        {
            group.policy = policy
        }
        if let node = fields["protocol"],
            let value = self.choice(node, key: fields.key("protocol"), of: TargetProtocolName.self, noun: "target protocol")
        {
            group.protocol = value
        }
        if let node = fields["targets"] {
            group.targets = self.targets(node, key: fields.key("targets"), discovery: &group.discovery)
        } else {
            self.reportMissing("targets", in: fields, " (a list of \"host:port\")")
        }
        if let node = fields["health_check"] {
            group.healthCheck = self.healthCheck(node, key: fields.key("health_check"))
        }
        if let node = fields["upstream"] {
            group.upstream = self.upstream(node, key: fields.key("upstream"))
            if group.upstream.proxyProtocol, group.protocol == .h2c, let protocolNode = fields["protocol"] {
                self.problems.report(
                    fields.key("protocol"),
                    at: protocolNode,
                    "h2c cannot be used with upstream.proxy_protocol (an h2c connection carries many clients' requests)"
                )
            }
        }
        if let node = fields["stickiness"] {
            group.stickiness = self.stickiness(node, key: fields.key("stickiness"))
        }
        if let node = fields["slow_start"],
            let value = self.duration(
                node,
                key: fields.key("slow_start"),
                allowsZero: true,
                in: .zero...TargetGroupConfiguration.maximumSlowStart
            )
        {
            group.slowStart = value
        }
        if let node = fields["all_unhealthy"],
            let value = self.choice(
                node,
                key: fields.key("all_unhealthy"),
                of: AllUnhealthyBehaviour.self,
                noun: "all_unhealthy behaviour"
            )
        {
            group.allUnhealthy = value
        }
        if let node = fields["retries"] {
            group.retries = self.retries(node, key: fields.key("retries"))
        }
        if let node = fields["outlier_detection"] {
            group.outlierDetection = self.outlierDetection(node, key: fields.key("outlier_detection"))
        }
        if let node = fields["scaling"] {
            group.scaling = self.scalingRules(node, key: fields.key("scaling"))
        }
        self.warnAboutIgnoredBalancingKeys(group, fields: fields)
        return group
    }

    // MARK: health_check

    private mutating func healthCheck(_ node: ConfigNode, key: String) -> HealthCheckConfiguration {
        var check = HealthCheckConfiguration()
        let allowed = [
            "enabled", "protocol", "path", "port", "interval", "timeout", "healthy_threshold", "unhealthy_threshold",
            "expect_status", "service",
        ]
        guard let fields = self.fields(of: node, key: key, allowed: allowed) else { return check }
        if let node = fields["enabled"], let value = self.bool(node, key: fields.key("enabled")) {
            check.enabled = value
        }
        if let node = fields["protocol"],
            let value = self.choice(
                node,
                key: fields.key("protocol"),
                of: HealthCheckProtocol.self,
                noun: "health check protocol"
            )
        {
            check.protocol = value
        }
        if let node = fields["path"], let path = self.string(node, key: fields.key("path")) {
            // It goes into the probe's request line as it is.
            if !HTTPSyntax.isValidRequestPath(path) {
                self.problems.report(fields.key("path"), at: node, HTTPSyntax.requestPathProblem(path))
            } else {
                check.path = path
                if check.protocol != .http {
                    self.problems.warn(
                        fields.key("path"),
                        line: node.line,
                        column: node.column,
                        "is ignored because protocol is \(check.protocol.rawValue)"
                    )
                }
            }
        }
        if let node = fields["service"], let service = self.string(node, key: fields.key("service")) {
            check.service = service
            if check.protocol != .grpc {
                self.problems.warn(fields.key("service"), line: node.line, column: node.column, "is ignored unless protocol is grpc")
            }
        }
        if let node = fields["port"] {
            if node.scalar?.text == "traffic-port" {
                check.port = .trafficPort
            } else if case .integer(let port) = node.scalar?.kind, (1...65535).contains(port) {
                check.port = .fixed(port)
            } else {
                self.problems.report(
                    fields.key("port"),
                    at: node,
                    "must be \"traffic-port\" or a port in 1...65535 (got \(node.quotedDescription))"
                )
            }
        }
        if let node = fields["interval"],
            let value = self.duration(node, key: fields.key("interval"), in: .seconds(1)...Duration.seconds(3600))
        {
            check.interval = value
        }
        if let node = fields["timeout"], let value = self.duration(node, key: fields.key("timeout")) {
            if value >= check.interval {
                self.problems.report(
                    fields.key("timeout"),
                    at: node,
                    "must be shorter than interval (\(DurationSyntax.format(check.interval))); got \(node.scalar?.text ?? "")"
                )
            } else {
                check.timeout = value
            }
        } else if fields["timeout"] == nil, check.timeout >= check.interval, let intervalNode = fields["interval"] {
            self.problems.report(
                fields.key("interval"),
                at: intervalNode,
                "must be longer than timeout (\(DurationSyntax.format(check.timeout)))"
            )
        }
        for name in ["healthy_threshold", "unhealthy_threshold"] {
            guard let node = fields[name], let value = self.integer(node, key: fields.key(name), in: 1...10) else {
                continue
            }
            if name == "healthy_threshold" {
                check.healthyThreshold = value
            } else {
                check.unhealthyThreshold = value
            }
        }
        if let node = fields["expect_status"], let ranges = self.statusRanges(node, key: fields.key("expect_status")) {
            check.expectStatus = ranges
        }
        return check
    }

    private mutating func statusRanges(_ node: ConfigNode, key: String) -> [ClosedRange<Int>]? {
        let problem = "expected status codes and ranges in 100...599, such as 200, 200-299 or \"200,204,300-399\""
        guard let text = node.scalar?.text, !node.isNull else {
            self.problems.report(key, at: node, "\(problem); got \(node.typeName)")
            return nil
        }
        var ranges: [ClosedRange<Int>] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: false) {
            let bounds = part.split(separator: "-", omittingEmptySubsequences: false).map {
                String($0).trimmingSpaces()
            }
            let codes = bounds.compactMap { $0.count == 3 && $0.allSatisfy(\.isASCIIDigit) ? Int($0) : nil }
            guard (1...2).contains(bounds.count), codes.count == bounds.count,
                codes.allSatisfy({ (100...599).contains($0) }), codes[0] <= codes[codes.count - 1]
            else {
                self.problems.report(key, at: node, "invalid status list \"\(text)\" (\(problem))")
                return nil
            }
            ranges.append(codes[0]...codes[codes.count - 1])
        }
        return ranges
    }

    // MARK: upstream

    private mutating func upstream(_ node: ConfigNode, key: String) -> UpstreamSettings {
        var settings = UpstreamSettings()
        let allowed = ["connect_timeout", "response_timeout", "max_idle_per_target", "idle_timeout", "proxy_protocol"]
        guard let fields = self.fields(of: node, key: key, allowed: allowed) else { return settings }
        if let node = fields["connect_timeout"], let value = self.duration(node, key: fields.key("connect_timeout")) {
            settings.connectTimeout = value
        }
        if let node = fields["response_timeout"], let value = self.duration(node, key: fields.key("response_timeout")) {
            settings.responseTimeout = value
        }
        if let node = fields["max_idle_per_target"],
            let value = self.integer(node, key: fields.key("max_idle_per_target"), in: 0...10000)
        {
            settings.maxIdlePerTarget = value
        }
        if let node = fields["idle_timeout"], let value = self.duration(node, key: fields.key("idle_timeout")) {
            settings.idleTimeout = value
        }
        if let node = fields["proxy_protocol"] {
            if node.scalar?.text == "v2" {
                settings.proxyProtocol = true
            } else {
                self.problems.report(fields.key("proxy_protocol"), at: node, "must be v2 (the binary PROXY protocol; got \(node.quotedDescription))")
            }
        }
        return settings
    }
}
