import Foundation
import Testing

@testable import ProxyServer

/// The numbers of decision 0019: a `take`'s round trip on loopback, one after another, and
/// takes pipelined; `PING` from this client and from `redis-benchmark` alongside, for scale.
/// Off by default (about 6 s); `PORTCULLIS_REDIS_MEASURE=1` turns it on (release build:
/// debug NIO is several times slower):
///
///     swift build -c release --build-tests -Xswiftc -enable-testing --scratch-path .build/release-measure
///     PORTCULLIS_REDIS_MEASURE=1 swift test -c release --skip-build --scratch-path .build/release-measure \
///         --filter RedisMeasurement
struct RedisMeasurementTests {
    @Test(.enabled(if: ProcessInfo.processInfo.environment["PORTCULLIS_REDIS_MEASURE"] == "1"))
    func takeLatencyAndThroughput() async throws {
        let server = try await RedisServer.start()
        let redis = try await RedisTestClient(port: server.port)
        _ = try await redis.take("warm-up", ratePerSecond: 1, burst: 1)
        _ = try await redis.sequentialTakes(1_000, key: "warm-up")

        let pings = try await redis.sequentialPings(10_000).sorted()
        let takes = try await redis.sequentialTakes(10_000, key: "sequential").sorted()
        print("redis-measure: PING sequential (10k): \(Self.summary(pings))")
        print("redis-measure: take sequential (10k): \(Self.summary(takes))")
        for depth in [10, 100, 1_000] {
            let elapsed = try await redis.pipelinedTakes(100_000, depth: depth, key: "pipelined-\(depth)")
            let perSecond = Int(100_000 / (Double(elapsed) / 1e9))
            print("redis-measure: take pipelined (100k, \(depth) in flight): \(perSecond) per second")
        }
        let stats = try await server.cli("INFO", "commandstats")
        let commands = ["cmdstat_evalsha:", "cmdstat_ping:"]
        for line in stats.split(whereSeparator: \.isNewline) where commands.contains(where: { line.hasPrefix($0) }) {
            print("redis-measure: inside Redis: \(line.trimmingCharacters(in: .whitespacesAndNewlines))")
        }
        if let benchmark = which("redis-benchmark") {
            let arguments = ["-p", String(server.port), "-c", "1", "-n", "10000", "-q", "-t", "ping"]
            let result = try await run(benchmark, arguments)
            let lines = result.stdout.split(whereSeparator: { $0 == "\r" || $0 == "\n" })
            let line = lines.last { $0.contains("PING_MBULK") }
            print("redis-measure: redis-benchmark -c 1: \(line ?? "?")")
        }
        try await redis.close()
        await server.stop()
    }

    /// Median, 99th percentile and maximum of sorted nanoseconds, in microseconds.
    private static func summary(_ sorted: [Int64]) -> String {
        func microseconds(_ fraction: Double) -> String {
            let nanoseconds = sorted[min(sorted.count - 1, Int(Double(sorted.count) * fraction))]
            return String(format: "%.1f µs", Double(nanoseconds) / 1_000)
        }
        return "median \(microseconds(0.5)), p99 \(microseconds(0.99)), max \(microseconds(1))"
    }
}
