public import ProxyConfig

/// One firing of a scaling rule: what the hooks are told, and which hooks to run.
public struct ScalingFiring: Sendable, Equatable {
    public var targetGroup: String
    public var rule: String
    /// The rule's condition with its `for`, such as `requests_per_target_per_second > 200 for 60s`.
    public var condition: String
    /// The metric's config spelling, such as `p95_latency`.
    public var metric: String
    /// The metric's value when the rule fired.
    public var value: Double
    public var threshold: Double
    /// Targets in the group when the rule fired.
    public var targets: Int
    public var healthyTargets: Int
    /// Wall-clock time of the firing, in whole seconds since 1970-01-01T00:00:00Z.
    public var firedAt: Int64
    /// Run with `/bin/sh -c`.
    public var exec: String?
    public var webhook: WebhookURL?

    public init(
        targetGroup: String,
        rule: String,
        condition: String,
        metric: String,
        value: Double,
        threshold: Double,
        targets: Int,
        healthyTargets: Int,
        firedAt: Int64,
        exec: String? = nil,
        webhook: WebhookURL? = nil
    ) {
        self.targetGroup = targetGroup
        self.rule = rule
        self.condition = condition
        self.metric = metric
        self.value = value
        self.threshold = threshold
        self.targets = targets
        self.healthyTargets = healthyTargets
        self.firedAt = firedAt
        self.exec = exec
        self.webhook = webhook
    }
}
