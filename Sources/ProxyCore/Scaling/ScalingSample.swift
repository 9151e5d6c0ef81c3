/// A snapshot of one target group's traffic, taken every evaluation tick. Counters are monotonic
/// since start; the evaluator works with differences between two snapshots.
public struct ScalingSample: Sendable, Equatable {
    public var completedRequests: UInt64
    /// Latency histogram: `latencyBucketCounts[i]` counts requests that took at most
    /// `ScalingSample.latencyBucketBoundsMilliseconds[i]` (and more than the previous bound);
    /// the last count is for slower requests than every bound. Monotonic.
    public var latencyBucketCounts: [UInt64]
    public var targets: Int
    public var healthyTargets: Int
    public var inFlight: Int

    public static let latencyBucketBoundsMilliseconds: [Double] = [
        1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000,
    ]

    public init(
        completedRequests: UInt64 = 0,
        latencyBucketCounts: [UInt64] = [],
        targets: Int = 0,
        healthyTargets: Int = 0,
        inFlight: Int = 0
    ) {
        self.completedRequests = completedRequests
        self.latencyBucketCounts = latencyBucketCounts
        self.targets = targets
        self.healthyTargets = healthyTargets
        self.inFlight = inFlight
    }
}
