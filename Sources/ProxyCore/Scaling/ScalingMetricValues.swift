/// The metrics of one target group over one evaluation window, computed from two samples.
///
/// A metric is `nil` when the window says nothing about it:
/// - ``requestsPerTargetPerSecond`` without a previous sample, with a window of no length, with
///   no targets, or when a counter went backwards (the counters were reset, say by a reload).
/// - ``p95Latency`` when no request completed in the window (or, as above, no previous sample or
///   a reset). A rule on it then keeps its state: an idle group is neither fast nor slow.
/// - ``inFlightPerTarget`` when the group has no targets.
///
/// ``healthyTargets`` is always known: it is read from the current sample alone.
///
/// The type is pure: the caller takes the samples and measures the window.
public struct ScalingMetricValues: Sendable, Equatable {
    public var requestsPerTargetPerSecond: Double?
    public var healthyTargets: Double
    /// Milliseconds.
    public var p95Latency: Double?
    public var inFlightPerTarget: Double?

    /// - Parameters:
    ///   - previous: The sample taken at the start of the window, or `nil` on the first evaluation.
    ///   - current: The sample taken now.
    ///   - elapsed: The time between the two samples.
    public init(previous: ScalingSample?, current: ScalingSample, elapsed: Duration) {
        self.healthyTargets = Double(current.healthyTargets)
        self.inFlightPerTarget = current.targets > 0 ? Double(current.inFlight) / Double(current.targets) : nil
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        if let previous, current.completedRequests >= previous.completedRequests, seconds > 0, current.targets > 0 {
            let completed = Double(current.completedRequests - previous.completedRequests)
            self.requestsPerTargetPerSecond = completed / seconds / Double(current.targets)
        }
        if let previous {
            self.p95Latency = Self.percentile(
                0.95,
                of: Self.difference(current.latencyBucketCounts, minus: previous.latencyBucketCounts)
            )
        }
    }

    public init(
        requestsPerTargetPerSecond: Double? = nil,
        healthyTargets: Double = 0,
        p95Latency: Double? = nil,
        inFlightPerTarget: Double? = nil
    ) {
        self.requestsPerTargetPerSecond = requestsPerTargetPerSecond
        self.healthyTargets = healthyTargets
        self.p95Latency = p95Latency
        self.inFlightPerTarget = inFlightPerTarget
    }

    public subscript(metric: ScalingMetric) -> Double? {
        switch metric {
        case .requestsPerTargetPerSecond: self.requestsPerTargetPerSecond
        case .healthyTargets: self.healthyTargets
        case .p95Latency: self.p95Latency
        case .inFlightPerTarget: self.inFlightPerTarget
        }
    }

    /// The per-bucket counts of the window, or `nil` when a count went backwards. A shorter
    /// `previous` (the first sample of a histogram that was empty) counts as zeros.
    static func difference(_ current: [UInt64], minus previous: [UInt64]) -> [UInt64]? {
        guard previous.count <= current.count else { return nil }
        var counts: [UInt64] = []
        counts.reserveCapacity(current.count)
        for (index, count) in current.enumerated() {
            let before = index < previous.count ? previous[index] : 0
            guard count >= before else { return nil }
            counts.append(count - before)
        }
        return counts
    }

    /// The `quantile` of a histogram with ``ScalingSample/latencyBucketBoundsMilliseconds``, in
    /// milliseconds, or `nil` when it holds no request.
    ///
    /// Interpolates linearly inside the bucket that holds the quantile, as Prometheus'
    /// `histogram_quantile` does: requests are taken to be spread evenly between the bucket's
    /// lower bound (0 for the first bucket) and its upper bound. When the quantile falls in the
    /// overflow bucket (slower than every bound) the result is the highest bound, 10 000 ms: a
    /// lower limit of the real value, which is unknown.
    static func percentile(_ quantile: Double, of counts: [UInt64]?) -> Double? {
        guard let counts else { return nil }
        let total = counts.reduce(0, +)
        guard total > 0 else { return nil }
        let bounds = ScalingSample.latencyBucketBoundsMilliseconds
        let rank = quantile * Double(total)
        var below: UInt64 = 0
        for (index, count) in counts.enumerated() where count > 0 {
            guard Double(below + count) >= rank else {
                below += count
                continue
            }
            guard index < bounds.count else { return bounds[bounds.count - 1] }
            let lower = index == 0 ? 0 : bounds[index - 1]
            let upper = bounds[index]
            return lower + (upper - lower) * (rank - Double(below)) / Double(count)
        }
        return bounds[bounds.count - 1]
    }
}
