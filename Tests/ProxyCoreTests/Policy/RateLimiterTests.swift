import Dispatch
import NIOConcurrencyHelpers
import Testing

@testable import ProxyCore

/// The GCRA bucket arithmetic on a fake clock, its bounded memory, and its atomicity.
struct RateLimiterTests {
    static let second: UInt64 = 1_000_000_000
    static let start: UInt64 = 1_000 * second

    @Test func aFullBucketLetsTheBurstThroughThenRefuses() {
        let limiter = RateLimiter(ratePerSecond: 10, burst: 5, maxKeys: 64)
        for remaining in (0..<5).reversed() {
            let decision = limiter.take(keyHash: 42, now: Self.start)
            #expect(decision.allowed)
            #expect(decision.remaining == remaining)
        }
        let refused = limiter.take(keyHash: 42, now: Self.start)
        #expect(!refused.allowed)
        #expect(refused.retryAfterSeconds == 1)  // 100 ms away, rounded up to a whole second
        #expect(refused.remaining == 0)
    }

    @Test func tokensComeBackAtTheRate() {
        let limiter = RateLimiter(ratePerSecond: 2, burst: 2, maxKeys: 64)
        #expect(limiter.take(keyHash: 7, now: Self.start).allowed)
        #expect(limiter.take(keyHash: 7, now: Self.start).allowed)
        #expect(!limiter.take(keyHash: 7, now: Self.start).allowed)
        // Half a second later one token is back, not two.
        #expect(limiter.take(keyHash: 7, now: Self.start + Self.second / 2).allowed)
        #expect(!limiter.take(keyHash: 7, now: Self.start + Self.second / 2).allowed)
        // Long idle: a full bucket, never more.
        let later = Self.start + 60 * Self.second
        #expect(limiter.take(keyHash: 7, now: later).remaining == 1)
        #expect(limiter.take(keyHash: 7, now: later).allowed)
        #expect(!limiter.take(keyHash: 7, now: later).allowed)
    }

    @Test func aSlowRateTellsHowLongToWait() {
        let limiter = RateLimiter(ratePerSecond: 1.0 / 60, burst: 1, maxKeys: 64)
        #expect(limiter.take(keyHash: 1, now: Self.start).allowed)
        let refused = limiter.take(keyHash: 1, now: Self.start + 15 * Self.second)
        #expect(!refused.allowed)
        #expect(refused.retryAfterSeconds == 45)
        #expect(limiter.take(keyHash: 1, now: Self.start + 60 * Self.second).allowed)
    }

    @Test func keysHaveTheirOwnBuckets() {
        let limiter = RateLimiter(ratePerSecond: 1, burst: 1, maxKeys: 64)
        #expect(limiter.take(keyHash: 100, now: Self.start).allowed)
        #expect(!limiter.take(keyHash: 100, now: Self.start).allowed)
        #expect(limiter.take(keyHash: 200, now: Self.start).allowed)
    }

    @Test func memoryIsBoundedAndAForgottenKeyStartsFull() {
        // Four slots: one set. A fifth key takes the slot of the key limited longest ago.
        let limiter = RateLimiter(ratePerSecond: 1, burst: 1, maxKeys: 4)
        for key in UInt64(1)...4 {
            #expect(limiter.take(keyHash: key << 20, now: Self.start + key).allowed)
        }
        #expect(limiter.take(keyHash: 5 << 20, now: Self.start + 10).allowed)
        // Key 1 was forgotten (a full bucket again); key 4 is still remembered.
        #expect(limiter.take(keyHash: 1 << 20, now: Self.start + 11).allowed)
        #expect(!limiter.take(keyHash: 4 << 20, now: Self.start + 12).allowed)
    }

    @Test func concurrentTakesNeverLetMoreThanTheBurstThrough() async {
        let limiter = RateLimiter(ratePerSecond: 0.001, burst: 100, maxKeys: 64)
        let allowed = NIOLockedValueBox(0)
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<8 {
                group.addTask {
                    var mine = 0
                    for _ in 0..<1_000 where limiter.take(keyHash: 99, now: Self.start).allowed {
                        mine += 1
                    }
                    allowed.withLockedValue { $0 += mine }
                }
            }
        }
        #expect(allowed.withLockedValue { $0 } == 100)
    }
}
