/// Passive health checking of a target group: the `outlier_detection` block.
///
/// A target that fails `consecutive_failures` requests in a row (it could not be connected to, or
/// did not answer in time) is ejected: it gets no traffic for at least `base_ejection_time`, then
/// it is tried again.
///
/// Configuration keys (all optional):
/// - `enabled` (bool, default `true`).
/// - `consecutive_failures` (integer 1...1000, default 5).
/// - `base_ejection_time` (duration, default `30s`, greater than 0).
/// - `max_ejection_percent` (whole percentage 0...100, default 50, written `50` or `50%`): at most
///   this share of the group's targets is ejected at once.
public struct OutlierDetectionConfiguration: Sendable, Equatable {
    public var enabled: Bool
    /// 1...1000.
    public var consecutiveFailures: Int
    public var baseEjectionTime: Duration
    /// 0...100.
    public var maxEjectionPercent: Int

    public init(
        enabled: Bool = true,
        consecutiveFailures: Int = 5,
        baseEjectionTime: Duration = .seconds(30),
        maxEjectionPercent: Int = 50
    ) {
        self.enabled = enabled
        self.consecutiveFailures = consecutiveFailures
        self.baseEjectionTime = baseEjectionTime
        self.maxEjectionPercent = maxEjectionPercent
    }
}
