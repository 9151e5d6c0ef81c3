/// The `when` of a scaling rule: one metric of the target group compared with a threshold, such as
/// `requests_per_target_per_second > 200` or `p95_latency > 500ms`.
public struct ScalingCondition: Sendable, Hashable, CustomStringConvertible {
    /// What a rule watches. The raw values are the config spellings.
    public enum Metric: String, Sendable, Hashable, CaseIterable {
        /// Requests completed per second over the last evaluation window, divided by the number of
        /// targets in the group.
        case requestsPerTargetPerSecond = "requests_per_target_per_second"
        /// Targets that receive traffic (healthy, or not yet probed). A whole number.
        case healthyTargets = "healthy_targets"
        /// The 95th percentile of request latency over the last evaluation window, in milliseconds.
        case p95Latency = "p95_latency"
        /// Requests in flight divided by the number of targets in the group.
        case inFlightPerTarget = "in_flight_per_target"
    }

    /// How the metric is compared with the threshold. The raw values are the config spellings.
    public enum Comparison: String, Sendable, Hashable, CaseIterable {
        case greaterThan = ">"
        case greaterThanOrEqual = ">="
        case lessThan = "<"
        case lessThanOrEqual = "<="
    }

    public var metric: Metric
    public var comparison: Comparison
    /// In the metric's unit: requests per second per target, targets, milliseconds, or requests per
    /// target. Never negative.
    public var threshold: Double

    public init(metric: Metric, comparison: Comparison, threshold: Double) {
        self.metric = metric
        self.comparison = comparison
        self.threshold = threshold
    }

    /// The condition in config syntax, such as `healthy_targets < 2` or `p95_latency > 500ms`.
    public var description: String {
        let threshold = Self.format(self.threshold)
        let unit = self.metric == .p95Latency ? "ms" : ""
        return "\(self.metric.rawValue) \(self.comparison.rawValue) \(threshold)\(unit)"
    }

    /// `200` rather than `200.0`; fractions as Swift prints them (`12.5`).
    static func format(_ value: Double) -> String {
        if value.rounded() == value, abs(value) < 1e15 {
            return String(Int64(value))
        }
        return String(value)
    }
}
