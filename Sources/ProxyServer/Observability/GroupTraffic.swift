import ProxyCore

/// One event loop's running totals for a target group, for scaling rules.
struct GroupTraffic: Sendable {
    var completedRequests: UInt64 = 0
    var latencyBucketCounts = [UInt64](repeating: 0, count: ScalingSample.latencyBucketBoundsMilliseconds.count + 1)

    mutating func record(nanoseconds: Int64) {
        self.completedRequests &+= 1
        let milliseconds = Double(nanoseconds) / 1_000_000
        let bounds = ScalingSample.latencyBucketBoundsMilliseconds
        var index = bounds.count
        for (position, bound) in bounds.enumerated() where milliseconds <= bound {
            index = position
            break
        }
        self.latencyBucketCounts[index] &+= 1
    }

    mutating func add(_ other: GroupTraffic) {
        self.completedRequests &+= other.completedRequests
        for index in self.latencyBucketCounts.indices where index < other.latencyBucketCounts.count {
            self.latencyBucketCounts[index] &+= other.latencyBucketCounts[index]
        }
    }
}
