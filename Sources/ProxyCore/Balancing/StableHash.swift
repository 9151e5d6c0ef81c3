/// A 64-bit hash that gives the same value in every process and on every platform.
///
/// FNV-1a over the bytes, then the SplitMix64 finalizer so that inputs differing in one
/// character (`10.0.0.1` and `10.0.0.2`) spread over all 64 bits. Swift's `Hasher` is seeded
/// per process, so it would send a client to a different target after every restart and on
/// every proxy instance; this one does not.
struct StableHash {
    private static let offsetBasis: UInt64 = 0xcbf2_9ce4_8422_2325
    private static let prime: UInt64 = 0x0000_0100_0000_01b3
    /// Not valid anywhere in UTF-8, so `("ab", "c")` and `("a", "bc")` hash differently.
    private static let separator: UInt8 = 0xFF

    /// The FNV-1a state so far.
    private(set) var state = Self.offsetBasis

    init() {}

    /// Feeds the UTF-8 bytes of `string`, then a separator byte.
    mutating func combine(_ string: String) {
        // The bytes in place when the string lends them (native strings do): iterating the
        // UTF-8 view costs several times the hashing itself.
        let done: Void? = string.utf8.withContiguousStorageIfAvailable { bytes in
            for byte in bytes {
                self.combine(byte)
            }
        }
        if done == nil {
            for byte in string.utf8 {
                self.combine(byte)
            }
        }
        self.combine(Self.separator)
    }

    mutating func combine(_ byte: UInt8) {
        self.state = (self.state ^ UInt64(byte)) &* Self.prime
    }

    /// The finished hash: the FNV-1a state, mixed.
    func finalize() -> UInt64 {
        Self.mix(self.state)
    }

    /// The SplitMix64 finalizer: a bijection on `UInt64` with full avalanche.
    static func mix(_ value: UInt64) -> UInt64 {
        var z = value
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }

    /// Maps a hash to a `Double` strictly between 0 and 1, using its top 52 bits.
    ///
    /// 52, not 53: `2^53 - 1 + 0.5` is not representable and would round up to exactly 1.
    static func unitInterval(_ hash: UInt64) -> Double {
        (Double(hash >> 12) + 0.5) * 0x1p-52
    }
}
