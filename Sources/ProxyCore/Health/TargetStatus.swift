public import NIOCore

/// What is known about one target: its health, last probe, ejection, and when it became healthy.
///
/// Published by the ``TargetGroupMonitor`` to every event loop, and shown by `status` views.
public struct TargetStatus: Sendable {
    public var target: Target
    /// The state that decides routing: the health check's verdict, or ``TargetHealth/draining``
    /// while an operator has taken the target out of rotation.
    public var health: TargetHealth
    /// The health check's own verdict, kept up to date while draining too, so a rolling deploy
    /// can see a restarted target pass its checks before attaching it.
    public var checkHealth: TargetHealth
    public var lastProbe: ProbeResult?
    public var consecutivePasses: Int
    public var consecutiveFailures: Int
    /// Ejected by outlier detection (passive health) until this time.
    public var ejectedUntil: NIODeadline?
    /// When the target last became healthy, for slow start; `nil` if it has been from the start.
    public var healthySince: NIODeadline?

    public init(target: Target, health: TargetHealth) {
        self.target = target
        self.health = health
        self.checkHealth = health
        self.consecutivePasses = 0
        self.consecutiveFailures = 0
    }

    /// Whether new requests may go to this target.
    public var isServing: Bool {
        (self.health == .healthy || self.health == .unknown) && self.ejectedUntil == nil
    }
}
