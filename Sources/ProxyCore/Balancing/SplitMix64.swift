/// A small, fast, seedable random number generator (Steele, Lea and Flood's SplitMix64).
///
/// Not cryptographic. Use it where a reproducible sequence matters, such as tests of
/// ``RandomTwoPicker``; the proxy itself uses `SystemRandomNumberGenerator`.
public struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    /// - Parameter seed: Any value; equal seeds give equal sequences on every platform.
    public init(seed: UInt64) {
        self.state = seed
    }

    public mutating func next() -> UInt64 {
        self.state &+= 0x9e37_79b9_7f4a_7c15
        return StableHash.mix(self.state)
    }
}
