/// The `scaling` list of a target group: threshold rules that run hooks.
extension ConfigParser {
    private static let scalingRuleKeys = ["name", "when", "for", "cooldown", "hysteresis", "exec", "webhook"]

    /// Reads the `scaling` list of a group: each rule named (`rule<position>` by default), no two
    /// with the same name.
    mutating func scalingRules(_ node: ConfigNode, key: String) -> [ScalingRuleConfiguration] {
        guard let items = self.list(node, key: key) else { return [] }
        var rules: [ScalingRuleConfiguration] = []
        var seenNames: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let itemKey = "\(key)[\(index)]"
            guard let (rule, nameNode) = self.scalingRule(item, key: itemKey, position: index + 1) else { continue }
            if let firstLine = seenNames[rule.name] {
                self.problems.report(
                    "\(itemKey).name",
                    at: nameNode,
                    "duplicate scaling rule name \"\(rule.name)\" (first used on line \(firstLine))"
                )
                continue
            }
            seenNames[rule.name] = nameNode.line
            rules.append(rule)
        }
        return rules
    }

    /// Reads one rule.
    ///
    /// - Returns: The rule and the node its name comes from (the rule itself when it has no
    ///   `name`), or `nil` when a required part is missing or wrong.
    private mutating func scalingRule(
        _ node: ConfigNode,
        key: String,
        position: Int
    ) -> (ScalingRuleConfiguration, ConfigNode)? {
        guard let fields = self.fields(of: node, key: key, allowed: Self.scalingRuleKeys) else { return nil }
        var isValid = true
        var name = ScalingRuleConfiguration.defaultName(position: position)
        var nameNode = node
        if let node = fields["name"] {
            nameNode = node
            if let value = self.name(node, key: fields.key("name")) {
                name = value
            } else {
                isValid = false
            }
        }

        var parsed: ScalingConditionSyntax.Parsed?
        if let node = fields["when"] {
            parsed = self.scalingCondition(node, key: fields.key("when"))
        } else {
            self.reportMissing("when", in: fields, " (such as \"requests_per_target_per_second > 200\")")
        }

        let longest = ScalingRuleConfiguration.maximumDuration
        let durations = Duration.zero...longest
        var holdFor = parsed?.holdFor ?? .zero
        if let node = fields["for"] {
            if let inline = parsed?.holdFor {
                self.problems.report(
                    fields.key("for"),
                    at: node,
                    "is given twice: \"when\" already ends in \"for \(DurationSyntax.format(inline))\""
                )
            } else if let value = self.duration(node, key: fields.key("for"), allowsZero: true, in: durations) {
                holdFor = value
            }
        } else if let inline = parsed?.holdFor, inline > longest, let node = fields["when"] {
            self.problems.report(
                fields.key("when"),
                at: node,
                "the duration after \"for\" must be at most \(DurationSyntax.format(longest))"
            )
        }

        var rule = ScalingRuleConfiguration(
            name: name,
            condition: parsed?.condition
                ?? ScalingCondition(metric: .healthyTargets, comparison: .lessThan, threshold: 1),
            holdFor: holdFor
        )
        if let node = fields["cooldown"],
            let value = self.duration(node, key: fields.key("cooldown"), allowsZero: true, in: durations)
        {
            rule.cooldown = value
        }
        if let node = fields["hysteresis"], let value = self.percent(node, key: fields.key("hysteresis")) {
            rule.hysteresisPercent = value
        }
        if let node = fields["exec"], let command = self.string(node, key: fields.key("exec")) {
            rule.exec = command
        }
        if let node = fields["webhook"], let text = self.string(node, key: fields.key("webhook")) {
            switch WebhookURLSyntax.parse(text) {
            case .success(let url): rule.webhook = url
            case .failure(let problem): self.problems.report(fields.key("webhook"), at: node, problem.message)
            }
        }
        if fields["exec"] == nil && fields["webhook"] == nil {
            self.problems.report(
                key,
                at: node,
                "a scaling rule needs \"exec\", \"webhook\" or both; without a hook it does nothing"
            )
            isValid = false
        }
        guard isValid, parsed != nil else { return nil }
        return (rule, nameNode)
    }

    private mutating func scalingCondition(_ node: ConfigNode, key: String) -> ScalingConditionSyntax.Parsed? {
        guard let text = self.string(node, key: key) else { return nil }
        switch ScalingConditionSyntax.parse(text) {
        case .success(let parsed):
            return parsed
        case .failure(let problem):
            self.problems.report(key, at: node, problem.message)
            return nil
        }
    }
}
