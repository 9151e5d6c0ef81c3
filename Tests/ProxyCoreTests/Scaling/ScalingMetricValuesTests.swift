import Testing

@testable import ProxyCore

struct ScalingMetricValuesTests {
    /// A histogram with `counts` at the given bucket indexes and zeros elsewhere.
    private func buckets(_ counts: [Int: UInt64]) -> [UInt64] {
        (0...ScalingSample.latencyBucketBoundsMilliseconds.count).map { counts[$0] ?? 0 }
    }

    @Test func requestRateIsPerTargetPerSecondOverTheWindow() {
        let values = ScalingMetricValues(
            previous: ScalingSample(completedRequests: 1000, targets: 3),
            current: ScalingSample(completedRequests: 7000, targets: 3, healthyTargets: 2, inFlight: 9),
            elapsed: .seconds(10)
        )
        #expect(values.requestsPerTargetPerSecond == 200)
        #expect(values[.requestsPerTargetPerSecond] == 200)
        #expect(values.healthyTargets == 2)
        #expect(values.inFlightPerTarget == 3)
        #expect(
            ScalingMetricValues(
                previous: ScalingSample(completedRequests: 0, targets: 2),
                current: ScalingSample(completedRequests: 3, targets: 2),
                elapsed: .milliseconds(500)
            ).requestsPerTargetPerSecond == 3
        )
    }

    @Test func theFirstSampleKnowsOnlyTheGauges() {
        let values = ScalingMetricValues(
            previous: nil,
            current: ScalingSample(completedRequests: 500, latencyBucketCounts: self.buckets([3: 10]), targets: 4, healthyTargets: 4, inFlight: 2),
            elapsed: .zero
        )
        #expect(values == ScalingMetricValues(healthyTargets: 4, inFlightPerTarget: 0.5))
    }

    @Test func aGroupWithoutTargetsHasNoPerTargetValues() {
        let values = ScalingMetricValues(
            previous: ScalingSample(completedRequests: 10),
            current: ScalingSample(completedRequests: 20, inFlight: 3),
            elapsed: .seconds(1)
        )
        #expect(values.requestsPerTargetPerSecond == nil)
        #expect(values.inFlightPerTarget == nil)
        #expect(values.healthyTargets == 0)
    }

    @Test func countersThatWentBackwardsGiveNoRate() {
        let values = ScalingMetricValues(
            previous: ScalingSample(completedRequests: 100, latencyBucketCounts: self.buckets([2: 100]), targets: 1),
            current: ScalingSample(completedRequests: 5, latencyBucketCounts: self.buckets([2: 5]), targets: 1),
            elapsed: .seconds(1)
        )
        #expect(values.requestsPerTargetPerSecond == nil)
        #expect(values.p95Latency == nil)
    }

    @Test func p95InterpolatesInsideTheBucketThatHoldsIt() {
        // 90 requests in (10, 25] ms and 10 in (50, 100] ms: the 95th is halfway into the second.
        let values = ScalingMetricValues(
            previous: ScalingSample(latencyBucketCounts: self.buckets([4: 1000, 6: 7])),
            current: ScalingSample(latencyBucketCounts: self.buckets([4: 1090, 6: 17])),
            elapsed: .seconds(1)
        )
        #expect(values.p95Latency == 75)
    }

    @Test(arguments: [
        ([0: UInt64(100)], 0.95),  // first bucket: from 0 to 1 ms
        ([2: 95, 8: 5], 5.0),  // the 95th request is the last in (2.5, 5]: the upper bound
        ([2: 94, 8: 6], 250 + 250.0 / 6),  // one further: a sixth into (250, 500]
        ([13: 100], 10000.0),  // slower than every bound: the highest bound, a lower limit
        ([12: 50, 13: 50], 10000.0),
    ] as [([Int: UInt64], Double)])
    func p95FromBuckets(counts: [Int: UInt64], expected: Double) throws {
        let p95 = try #require(
            ScalingMetricValues(
                previous: ScalingSample(),
                current: ScalingSample(latencyBucketCounts: self.buckets(counts)),
                elapsed: .seconds(1)
            ).p95Latency
        )
        #expect(abs(p95 - expected) < 1e-9, "\(p95)")
    }

    @Test func aWindowWithoutRequestsHasNoLatency() {
        let sample = ScalingSample(completedRequests: 40, latencyBucketCounts: self.buckets([5: 40]), targets: 2)
        let values = ScalingMetricValues(previous: sample, current: sample, elapsed: .seconds(1))
        #expect(values.p95Latency == nil)
        #expect(values.requestsPerTargetPerSecond == 0)
    }
}
