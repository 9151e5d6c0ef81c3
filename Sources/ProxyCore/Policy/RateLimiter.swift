import Synchronization

/// Token buckets by key, shared by every event loop without a lock: the generic cell rate
/// algorithm (GCRA), which keeps one number per key (its *theoretical arrival time*) and is a
/// token bucket of `burst` tokens refilled at `rate` (decision 0018).
///
/// Memory is bounded: `maxKeys` slots (rounded up to a power of two) in sets of four; a key
/// lives in one set, and a new key takes the slot of the set whose bucket has been full the
/// longest (the least recently limited key), so a forgotten key only ever gets a full bucket
/// back (never a wrong refusal). Each slot is two atomics (key, arrival time) updated with
/// compare-and-swap; two keys racing for one slot can blur their buckets for a moment, which
/// errs towards letting a request through.
///
/// The arithmetic takes the clock as a parameter (`now`, monotonic nanoseconds), so it is tested
/// on a fake clock.
public final class RateLimiter: @unchecked Sendable {
    // @unchecked: the slot storage is raw memory of atomics, written only through them.

    /// The outcome of one request.
    public struct Decision: Sendable, Equatable {
        public var allowed: Bool
        /// Requests still allowed at once after this one.
        public var remaining: Int
        /// Seconds until the bucket is full again (the `t` of the `RateLimit` field).
        public var resetSeconds: Int
        /// For a refused request: seconds until one would be allowed (`Retry-After`), at least 1.
        public var retryAfterSeconds: Int

        public init(allowed: Bool, remaining: Int, resetSeconds: Int, retryAfterSeconds: Int) {
            self.allowed = allowed
            self.remaining = remaining
            self.resetSeconds = resetSeconds
            self.retryAfterSeconds = retryAfterSeconds
        }
    }

    private static let ways = 4
    /// The emission interval: nanoseconds per token.
    let interval: UInt64
    /// How far ahead of `now` the arrival time may run: `burst` intervals.
    let tolerance: UInt64
    public let burst: Int
    private let setMask: UInt64
    private let slotCount: Int
    private let keys: UnsafeMutablePointer<Atomic<UInt64>>
    private let arrivals: UnsafeMutablePointer<Atomic<UInt64>>

    /// - Parameters:
    ///   - ratePerSecond: Tokens added per second (> 0).
    ///   - burst: The bucket's size (≥ 1).
    ///   - maxKeys: Keys remembered at once (≥ 4).
    public init(ratePerSecond: Double, burst: Int, maxKeys: Int) {
        precondition(ratePerSecond > 0 && burst >= 1)
        self.interval = max(1, UInt64((1e9 / ratePerSecond).rounded()))
        self.burst = burst
        self.tolerance = self.interval * UInt64(burst)
        var slots = Self.ways
        while slots < maxKeys { slots <<= 1 }
        self.slotCount = slots
        self.setMask = UInt64(slots / Self.ways - 1)
        self.keys = .allocate(capacity: slots)
        self.arrivals = .allocate(capacity: slots)
        for index in 0..<slots {
            (self.keys + index).initialize(to: Atomic(0))
            (self.arrivals + index).initialize(to: Atomic(0))
        }
    }

    deinit {
        self.keys.deinitialize(count: self.slotCount)
        self.arrivals.deinitialize(count: self.slotCount)
        self.keys.deallocate()
        self.arrivals.deallocate()
    }

    /// Takes a token from `keyHash`'s bucket at `now` (monotonic nanoseconds, > 0), if it has one.
    public func take(keyHash: UInt64, now: UInt64) -> Decision {
        let key = keyHash | 1  // 0 marks an empty slot
        let slot = self.slot(for: key)
        while true {
            let arrival = self.arrivals[slot].load(ordering: .relaxed)
            let next = max(arrival, now) + self.interval
            let ahead = next - now
            if ahead > self.tolerance {
                let wait = ahead - self.tolerance
                return Decision(
                    allowed: false,
                    remaining: 0,
                    resetSeconds: Self.seconds(roundingUp: arrival > now ? arrival - now : 0),
                    retryAfterSeconds: max(1, Self.seconds(roundingUp: wait))
                )
            }
            if self.arrivals[slot].compareExchange(expected: arrival, desired: next, ordering: .relaxed).exchanged {
                return Decision(
                    allowed: true,
                    remaining: Int((self.tolerance - ahead) / self.interval),
                    resetSeconds: Self.seconds(roundingUp: ahead),
                    retryAfterSeconds: 0
                )
            }
        }
    }

    /// The slot holding `key`, or the one it takes over in its set.
    private func slot(for key: UInt64) -> Int {
        let base = Int((key >> 17) & self.setMask) * Self.ways
        for way in 0..<Self.ways where self.keys[base + way].load(ordering: .relaxed) == key {
            return base + way
        }
        var victim = base
        var oldest = UInt64.max
        for way in 0..<Self.ways {
            let arrival = self.arrivals[base + way].load(ordering: .relaxed)
            if arrival < oldest {
                oldest = arrival
                victim = base + way
            }
        }
        self.keys[victim].store(key, ordering: .relaxed)
        self.arrivals[victim].store(0, ordering: .relaxed)
        return victim
    }

    private static func seconds(roundingUp nanoseconds: UInt64) -> Int {
        Int((nanoseconds + 999_999_999) / 1_000_000_000)
    }
}
