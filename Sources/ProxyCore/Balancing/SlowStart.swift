/// Ramps up the weight of a target that has just become healthy, so a cold target (empty
/// caches, unwarmed JIT, fresh connection pools) is not handed its full share at once.
///
/// Over ``duration`` after the target becomes healthy its weight grows linearly from a tenth of
/// its configured weight (at least 1) to the full weight. A zero duration turns slow start off.
///
/// Configuration key: `target_groups.<name>.slow_start` (duration, default `0s`, at most `1h`).
/// `ip_hash` groups ignore slow start: a ramping weight would move clients between targets, so
/// the caller gives ``IPHashPicker`` the configured weights.
public struct SlowStart: Sendable, Hashable {
    /// How long the ramp lasts. Zero or negative turns slow start off.
    public var duration: Duration

    public init(duration: Duration = .zero) {
        self.duration = duration
    }

    /// Returns the weight a target has now.
    ///
    /// The result is `max(1, weight / 10)` at the moment the target became healthy, rises
    /// linearly (rounded down) and reaches `weight` once `elapsed` reaches ``duration``. It is
    /// never below 1 and never above `max(weight, 1)`.
    ///
    /// - Parameters:
    ///   - weight: The target's configured ``Target/weight``.
    ///   - elapsed: Time since the target last became healthy (or was added to a running
    ///     group), or `nil` when it has been serving since startup, which gives the full
    ///     weight. A negative value counts as zero.
    public func effectiveWeight(_ weight: Int, sinceHealthy elapsed: Duration?) -> Int {
        let full = max(weight, 1)
        guard let elapsed, self.duration > .zero, elapsed < self.duration else { return full }
        let start = max(1, full / 10)
        let fraction = max(elapsed, .zero) / self.duration
        let ramp = Int((Double(full - start) * fraction).rounded(.down))
        return min(full, start + ramp)
    }
}
