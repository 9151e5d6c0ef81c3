/// One target a picker may choose, together with what the policies weigh it by.
///
/// The caller builds the candidates for every request from the target group: only targets
/// that are serving (healthy, or unknown at startup), not ejected, and below their connection
/// limit.
public struct BalancingCandidate: Sendable {
    public var target: Target
    /// The weight in effect now: ``Target/weight`` after ``SlowStart``. At least 1; the
    /// pickers treat anything smaller as 1.
    public var weight: Int
    /// Requests to this target that this event loop has sent and not yet finished.
    public var inFlight: Int

    public init(target: Target, weight: Int, inFlight: Int) {
        self.target = target
        self.weight = weight
        self.inFlight = inFlight
    }
}
