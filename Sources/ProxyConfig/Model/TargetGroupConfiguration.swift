/// A named set of upstream servers that share a balancing policy and a health check.
///
/// Configuration keys (under `target_groups.<name>`; names use letters, digits, `-`, `_`, `.`):
/// - `policy` (``BalancingPolicyName``, default `round_robin`).
/// - `targets` (list, required, at least one): see ``TargetConfiguration``.
/// - `health_check` (mapping): see ``HealthCheckConfiguration``.
/// - `upstream` (mapping): see ``UpstreamSettings``.
public struct TargetGroupConfiguration: Sendable, Equatable {
    public var name: String
    public var policy: BalancingPolicyName
    public var targets: [TargetConfiguration]
    public var healthCheck: HealthCheckConfiguration
    public var upstream: UpstreamSettings

    public init(
        name: String,
        policy: BalancingPolicyName = .roundRobin,
        targets: [TargetConfiguration],
        healthCheck: HealthCheckConfiguration = HealthCheckConfiguration(),
        upstream: UpstreamSettings = UpstreamSettings()
    ) {
        self.name = name
        self.policy = policy
        self.targets = targets
        self.healthCheck = healthCheck
        self.upstream = upstream
    }
}
