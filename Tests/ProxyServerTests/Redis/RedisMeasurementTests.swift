import Foundation
import Testing

@testable import ProxyServer

/// The numbers of decision 0019: a `take`'s round trip on loopback, one after another, and
/// takes pipelined. Off by default (about 2 s); `PORTCULLIS_REDIS_MEASURE=1` turns it on:
///
///     PORTCULLIS_REDIS_MEASURE=1 swift test --skip-build --filter RedisMeasurement
struct RedisMeasurementTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PORTCULLIS_REDIS_MEASURE"] == "1"))
    func takeLatencyAndThroughput() async throws {
        let server = try await RedisServer.start()
        let redis = try await RedisTestClient(port: server.port)
        _ = try await redis.take("warm-up", ratePerSecond: 1, burst: 1)
        _ = try await redis.sequentialTakes(1_000, key: "warm-up")

        let pings = try await redis.sequentialPings(10_000).sorted()
        let takes = try await redis.sequentialTakes(10_000, key: "sequential").sorted()
        func microseconds(_ nanoseconds: Int64) -> String { String(format: "%.1f µs", Double(nanoseconds) / 1_000) }
        func percentile(_ sorted: [Int64], _ fraction: Double) -> Int64 { sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))] }
        print("redis-measure: PING sequential (10k): median \(microseconds(percentile(pings, 0.5))), p99 \(microseconds(percentile(pings, 0.99)))")
        print("redis-measure: take sequential (10k): median \(microseconds(percentile(takes, 0.5))), p99 \(microseconds(percentile(takes, 0.99))), max \(microseconds(takes.last!))")
        for depth in [10, 100, 1_000] {
            let elapsed = try await redis.pipelinedTakes(100_000, depth: depth, key: "pipelined-\(depth)")
            let perSecond = 100_000 / (Double(elapsed) / 1e9)
            print("redis-measure: take pipelined (100k, \(depth) in flight): \(Int(perSecond)) per second")
        }
        try await redis.close()
        await server.stop()
    }
}
