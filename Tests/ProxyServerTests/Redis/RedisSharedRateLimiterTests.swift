import Foundation
import NIOCore
import NIOPosix
import ProxyCore
import Testing

@testable import ProxyServer

/// ``SharedRateLimiter`` against a real `redis-server` of each test's own.
struct RedisSharedRateLimiterTests {
    @Test func keysAreNamespaced() {
        #expect(SharedRateLimiter.key(limit: "api", keyHash: 0xff) == "portcullis:rl:api:00000000000000ff")
        #expect(
            SharedRateLimiter.key(limit: "routes[0].rate_limits[1]", keyHash: .max)
                == "portcullis:rl:routes[0].rate_limits[1]:ffffffffffffffff"
        )
    }

    /// 1 per second, burst 2: two at once, then a refusal with a retry-after, and a token again
    /// a second later. (A slow rate: a loaded machine's pauses between the calls must not
    /// refill the bucket; the suite runs no timed assertions.)
    @Test func allowsTheBurstThenRefusesThenRefills() async throws {
        let server = try await RedisServer.start()
        let redis = try await RedisTestClient(port: server.port)
        let key = SharedRateLimiter.key(limit: "test", keyHash: 1)
        let first = try await redis.take(key, ratePerSecond: 1, burst: 2)
        let second = try await redis.take(key, ratePerSecond: 1, burst: 2)
        let third = try await redis.take(key, ratePerSecond: 1, burst: 2)
        #expect(first.allowed && first.remaining == 1)
        #expect(second.allowed && second.remaining == 0)
        #expect(!third.allowed && third.remaining == 0 && third.retryAfterSeconds == 1)
        try await Task.sleep(for: .milliseconds(1_100))
        #expect(try await redis.take(key, ratePerSecond: 1, burst: 2).allowed)
        try await redis.close()
        await server.stop()
    }

    /// The same calls, made faster than any token comes back (one per 100 s: a loaded machine's
    /// pauses between the calls cannot refill the bucket), decide as the in-process limiter
    /// decides, given the elapsed times measured here: allowed and remaining alike, reset and
    /// retry-after (whole seconds, rounded up) within one second, since Redis's clock and this
    /// test's read the same moments a call's round trip apart (seconds on a loaded machine).
    @Test func decidesAsTheInProcessLimiter() async throws {
        let server = try await RedisServer.start()
        let redis = try await RedisTestClient(port: server.port)
        let local = RateLimiter(ratePerSecond: 0.01, burst: 5, maxKeys: 4)
        let clock = ContinuousClock()
        let start = clock.now
        for index in 0..<8 {
            let shared = try await redis.take("bucket", ratePerSecond: 0.01, burst: 5)
            let elapsed = start.duration(to: clock.now).components
            let nanoseconds = UInt64(elapsed.seconds) * 1_000_000_000 + UInt64(elapsed.attoseconds / 1_000_000_000)
            let expected = local.take(keyHash: 7, now: 1_000_000_000 + nanoseconds)
            #expect(shared.allowed == expected.allowed && shared.remaining == expected.remaining, "call \(index): \(shared) \(expected)")
            #expect(abs(shared.resetSeconds - expected.resetSeconds) <= 1, "call \(index): \(shared) \(expected)")
            #expect(abs(shared.retryAfterSeconds - expected.retryAfterSeconds) <= 1, "call \(index): \(shared) \(expected)")
        }
        try await redis.close()
        await server.stop()
    }

    /// Two clients, as two instances would have, on two event loops: one bucket.
    @Test func twoClientsShareOneBucket() async throws {
        let server = try await RedisServer.start()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let loops = Array(group.makeIterator())
        let one = try await RedisTestClient(port: server.port, on: loops[0])
        let other = try await RedisTestClient(port: server.port, on: loops[1])
        let key = SharedRateLimiter.key(limit: "shared", keyHash: 42)
        #expect(try await one.take(key, ratePerSecond: 1, burst: 3).remaining == 2)
        #expect(try await other.take(key, ratePerSecond: 1, burst: 3).remaining == 1)
        #expect(try await one.take(key, ratePerSecond: 1, burst: 3).remaining == 0)
        let refused = try await other.take(key, ratePerSecond: 1, burst: 3)
        #expect(!refused.allowed && refused.retryAfterSeconds == 1)
        #expect(!(try await one.take(key, ratePerSecond: 1, burst: 3).allowed))
        try await one.close()
        try await other.close()
        try await group.shutdownGracefully()
        await server.stop()
    }

    /// A bucket's key lives until the bucket would be full again, and then is gone.
    @Test func idleKeysExpire() async throws {
        let server = try await RedisServer.start()
        let redis = try await RedisTestClient(port: server.port)
        let key = SharedRateLimiter.key(limit: "expiry", keyHash: 9)
        _ = try await redis.take(key, ratePerSecond: 2, burst: 2)
        _ = try await redis.take(key, ratePerSecond: 2, burst: 2)  // full again in ≤ 1 s
        let ttl = try #require(try await redis.send(["PTTL", key]).integerValue)
        #expect(ttl > 0 && ttl <= 1_000, "PTTL \(ttl)")
        #expect(try await eventually(timeout: .seconds(5)) { try await redis.send(["EXISTS", key]) == .integer(0) })
        try await redis.close()
        await server.stop()
    }

    /// (One token per 100 s: pauses between the calls on a loaded machine refill nothing.)
    /// `SCRIPT FLUSH` forgets the script: the next call gets `NOSCRIPT`, is made again with
    /// `EVAL` (decided correctly), and the script is loaded again for `EVALSHA`.
    @Test func recoversFromNoScript() async throws {
        let server = try await RedisServer.start()
        let redis = try await RedisTestClient(port: server.port)
        #expect(try await redis.take("flushed", ratePerSecond: 0.01, burst: 3).remaining == 2)
        let sha = try #require(try await redis.scriptSHA)
        #expect(sha.count == 40)
        try await server.cli("SCRIPT", "FLUSH")
        #expect(try await redis.send(["SCRIPT", "EXISTS", sha]) == .array([.integer(0)]))
        #expect(try await redis.take("flushed", ratePerSecond: 0.01, burst: 3).remaining == 1)
        #expect(try await redis.send(["SCRIPT", "EXISTS", sha]) == .array([.integer(1)]))
        #expect(try await redis.take("flushed", ratePerSecond: 0.01, burst: 3).remaining == 0)
        // The first call went out before the reply to `SCRIPT LOAD` (both in the first
        // connection's first write): `EVAL`. Then `EVALSHA`, `NOSCRIPT`, `EVAL`; then `EVALSHA`.
        let stats = try await server.cli("INFO", "commandstats")
        #expect(stats.contains("cmdstat_evalsha:calls=2,"), "\(stats)")
        #expect(stats.contains("cmdstat_eval:calls=2,"), "\(stats)")
        #expect(stats.contains("cmdstat_script|load:calls=2,"), "\(stats)")
        try await redis.close()
        await server.stop()
    }

    /// Redis stops: `take` fails at once (the caller lets the request through), without a storm
    /// of reconnects, and works again once Redis is back on its port.
    @Test func failsFastWhileRedisIsDownAndReconnects() async throws {
        let server = try await RedisServer.start()
        let redis = try await RedisTestClient(port: server.port)
        #expect(try await redis.take("down", ratePerSecond: 10, burst: 10).allowed)
        await server.stop()
        var calls = 0
        var timedOut = 0
        let start = ContinuousClock.now
        // Bounded by count (and by time, for a machine too busy to make them): on a loaded
        // machine a time-bounded loop once made fewer calls than the backoff allowed attempts.
        while calls < 20 && ContinuousClock.now - start < .seconds(10) {
            do {
                _ = try await redis.take("down", ratePerSecond: 10, burst: 10)
                Issue.record("a take succeeded with Redis down")
            } catch RedisClientError.timedOut {
                timedOut += 1
            } catch {}
            calls += 1
            try await Task.sleep(for: .milliseconds(5))
        }
        // Every call failed at once (none waited for the command timeout: that would be
        // `timedOut`), and the reconnects followed the backoff (100 ms, doubling: at most 7 in
        // 10 s), not the calls.
        #expect(timedOut == 0)
        let attempts = try await redis.connectionAttempts
        #expect(calls == 20 && attempts >= 1 && attempts <= 7 && attempts < calls, "\(attempts) attempts for \(calls) calls")
        try await server.startAgain()
        #expect(try await eventually { (try? await redis.take("down", ratePerSecond: 10, burst: 10))?.allowed == true })
        #expect(try await redis.isConnected)
        try await redis.close()
        await server.stop()
    }
}
