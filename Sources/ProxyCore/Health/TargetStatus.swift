public import NIOCore

/// What is known about one target: its health, last probe, ejection, and when it became healthy.
///
/// Published by the ``TargetGroupMonitor`` to every event loop, and shown by `status` views.
public struct TargetStatus: Sendable {
    public var target: Target
    public var health: TargetHealth
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
        self.consecutivePasses = 0
        self.consecutiveFailures = 0
    }

    /// Whether new requests may go to this target.
    public var isServing: Bool {
        (self.health == .healthy || self.health == .unknown) && self.ejectedUntil == nil
    }
}
