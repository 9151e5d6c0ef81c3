/// A named set of upstream servers that share a balancing policy and a health check.
///
/// Configuration keys (under `target_groups.<name>`; names use letters, digits, `-`, `_`, `.`):
/// - `policy` (``BalancingPolicyName``, default `round_robin`).
/// - `protocol` (``TargetProtocolName``, default `http1`): `h2c` speaks prior-knowledge HTTP/2
///   to the targets (gRPC); not with `upstream.proxy_protocol`.
/// - `targets` (list, required, at least one): see ``TargetConfiguration``; entries with `dns:`
///   or `srv:` are ``TargetDiscoveryConfiguration``s (kept in ``discovery``).
/// - `health_check` (mapping): see ``HealthCheckConfiguration``.
/// - `upstream` (mapping): see ``UpstreamSettings``.
/// - `stickiness` (mapping): see ``StickinessConfiguration``.
/// - `slow_start` (duration, default `0s`, at most `1h`): a target that becomes healthy (or is
///   added) receives a share of traffic that grows linearly to its full weight over this time.
///   `0s` turns slow start off. `ip_hash` ignores it (with a warning).
/// - `all_unhealthy` (``AllUnhealthyBehaviour``, default `fail_open`).
/// - `retries` (mapping): see ``RetryConfiguration``.
/// - `outlier_detection` (mapping): see ``OutlierDetectionConfiguration``.
/// - `scaling` (list, default empty): threshold rules that run hooks; see ``ScalingRuleConfiguration``.
public struct TargetGroupConfiguration: Sendable, Equatable {
    /// The longest `slow_start` accepted.
    public static let maximumSlowStart = Duration.seconds(3600)

    public var name: String
    public var policy: BalancingPolicyName
    public var `protocol` = TargetProtocolName.http1
    /// Target names are unique within the group.
    public var targets: [TargetConfiguration]
    /// The `targets` entries resolved through DNS (`dns:`, `srv:`), in list order.
    public var discovery: [TargetDiscoveryConfiguration] = []
    public var healthCheck: HealthCheckConfiguration
    public var upstream: UpstreamSettings
    public var stickiness: StickinessConfiguration
    /// `.zero` means off; at most ``maximumSlowStart``.
    public var slowStart: Duration
    public var allUnhealthy: AllUnhealthyBehaviour
    public var retries: RetryConfiguration
    public var outlierDetection: OutlierDetectionConfiguration
    /// Rule names are unique within the group.
    public var scaling: [ScalingRuleConfiguration] = []

    /// Targets with an empty ``TargetConfiguration/name`` are named `t<position>` (`t1`, `t2`, …).
    public init(
        name: String,
        policy: BalancingPolicyName = .roundRobin,
        targets: [TargetConfiguration],
        healthCheck: HealthCheckConfiguration = HealthCheckConfiguration(),
        upstream: UpstreamSettings = UpstreamSettings(),
        stickiness: StickinessConfiguration = StickinessConfiguration(),
        slowStart: Duration = .zero,
        allUnhealthy: AllUnhealthyBehaviour = .failOpen,
        retries: RetryConfiguration = RetryConfiguration(),
        outlierDetection: OutlierDetectionConfiguration = OutlierDetectionConfiguration()
    ) {
        self.name = name
        self.policy = policy
        self.targets = targets.enumerated().map { index, target in
            var target = target
            if target.name.isEmpty {
                target.name = TargetConfiguration.defaultName(position: index + 1)
            }
            return target
        }
        self.healthCheck = healthCheck
        self.upstream = upstream
        self.stickiness = stickiness
        self.slowStart = slowStart
        self.allUnhealthy = allUnhealthy
        self.retries = retries
        self.outlierDetection = outlierDetection
    }
}
