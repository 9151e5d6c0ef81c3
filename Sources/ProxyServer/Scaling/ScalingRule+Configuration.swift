import ProxyConfig
import ProxyCore

extension ScalingRule {
    /// The runtime form of one `scaling` entry of a target group.
    init(_ configuration: ScalingRuleConfiguration) {
        self.init(
            name: configuration.name,
            metric: ScalingMetric(configuration.condition.metric),
            comparison: ScalingRule.Comparison(configuration.condition.comparison),
            threshold: configuration.condition.threshold,
            holdFor: configuration.holdFor,
            cooldown: configuration.cooldown,
            hysteresis: configuration.hysteresisPercent / 100
        )
    }
}

extension ScalingMetric {
    init(_ metric: ScalingCondition.Metric) {
        switch metric {
        case .requestsPerTargetPerSecond: self = .requestsPerTargetPerSecond
        case .healthyTargets: self = .healthyTargets
        case .p95Latency: self = .p95Latency
        case .inFlightPerTarget: self = .inFlightPerTarget
        }
    }
}

extension ScalingRule.Comparison {
    init(_ comparison: ScalingCondition.Comparison) {
        switch comparison {
        case .greaterThan: self = .greaterThan
        case .greaterThanOrEqual: self = .greaterThanOrEqual
        case .lessThan: self = .lessThan
        case .lessThanOrEqual: self = .lessThanOrEqual
        }
    }
}
