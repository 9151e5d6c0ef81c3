/// A value of a target group that a scaling rule can watch.
public enum ScalingMetric: Sendable, Hashable {
    /// Requests completed per second over the last evaluation window, divided by the number of
    /// targets in the group.
    case requestsPerTargetPerSecond
    /// Targets that receive traffic. Always a whole number.
    case healthyTargets
    /// The 95th percentile of the latency of requests completed in the last evaluation window,
    /// in milliseconds.
    case p95Latency
    /// Requests in flight divided by the number of targets in the group.
    case inFlightPerTarget

    /// The config spelling, used in logs, payloads and environment variables.
    public var name: String {
        switch self {
        case .requestsPerTargetPerSecond: "requests_per_target_per_second"
        case .healthyTargets: "healthy_targets"
        case .p95Latency: "p95_latency"
        case .inFlightPerTarget: "in_flight_per_target"
        }
    }

    /// Whether the metric only takes whole values (so a hysteresis band is rounded down to whole units).
    public var isWholeNumber: Bool { self == .healthyTargets }
}
