

/// What a target group does when every target is unhealthy.
public enum AllUnhealthyBehaviour: Sendable, Hashable {
    /// Send to all targets anyway, as AWS ALB does: a failing health check may be wrong, and
    /// trying beats refusing everyone.
    case failOpen
    /// Answer `503`.
    case reject
}

/// Retry rules of a target group.
public struct RetrySettings: Sendable, Hashable {
    /// Total tries per request, the first included. `1` disables retries.
    public var maxTries: Int
    /// Retries allowed per hundred requests, per event loop (a token bucket), so retries
    /// cannot multiply an outage.
    public var budgetPercent: Double
    /// Retry idempotent requests whose response did not arrive in time.
    public var retryOnTimeout: Bool

    public init(maxTries: Int = 2, budgetPercent: Double = 20, retryOnTimeout: Bool = false) {
        self.maxTries = maxTries
        self.budgetPercent = budgetPercent
        self.retryOnTimeout = retryOnTimeout
    }
}

/// Cookie stickiness: a signed cookie names the target a client was sent to.
public struct StickinessSettings: Sendable, Hashable {
    public var cookieName: String
    /// `Max-Age` of the cookie; `nil` for a session cookie.
    public var ttl: Duration?

    public init(cookieName: String = "portcullis_sticky", ttl: Duration? = .seconds(3600)) {
        self.cookieName = cookieName
        self.ttl = ttl
    }
}

/// A named set of targets that receive the requests of the routes forwarding to it.
///
/// Immutable; a configuration reload swaps whole target groups.
public struct TargetGroup: Sendable {
    public var name: String
    public var targets: [Target]
    public var upstream: UpstreamSettings
    public var policy: BalancingPolicy
    /// `nil`: no active health checks, every target counts as healthy.
    public var healthCheck: HealthCheckSettings?
    public var outlierDetection: OutlierDetector.Settings
    public var allUnhealthy: AllUnhealthyBehaviour
    public var retries: RetrySettings
    public var stickiness: StickinessSettings?
    public var slowStart: SlowStart

    public init(
        name: String,
        targets: [Target],
        upstream: UpstreamSettings = UpstreamSettings(),
        policy: BalancingPolicy = .roundRobin,
        healthCheck: HealthCheckSettings? = nil,
        outlierDetection: OutlierDetector.Settings = OutlierDetector.Settings(),
        allUnhealthy: AllUnhealthyBehaviour = .failOpen,
        retries: RetrySettings = RetrySettings(),
        stickiness: StickinessSettings? = nil,
        slowStart: SlowStart = SlowStart(duration: .zero)
    ) {
        self.name = name
        self.targets = targets
        self.upstream = upstream
        self.policy = policy
        self.healthCheck = healthCheck
        self.outlierDetection = outlierDetection
        self.allUnhealthy = allUnhealthy
        self.retries = retries
        self.stickiness = stickiness
        self.slowStart = slowStart
    }
}
