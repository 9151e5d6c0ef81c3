/// Power of two choices: two different candidates at random, then the less loaded of the two.
///
/// Load is `inFlight / weight`, compared exactly as ``LeastConnectionsPicker`` does. On a tie
/// the first of the two random draws wins, which is itself uniform. With one candidate that
/// candidate is returned without drawing.
///
/// Each event loop counts only its own requests in flight, so every loop's least loaded target
/// tends to be the same one; least connections would then send a burst from every loop to it.
/// The random draw spreads those requests while still steering away from busy targets: the
/// most loaded candidate is never chosen unless it ties.
///
/// `Generator` is the source of randomness: ``BalancingPolicy/makePicker()`` uses
/// `SystemRandomNumberGenerator` (see ``init()``); tests pass a seeded ``SplitMix64``.
public struct RandomTwoPicker<Generator: RandomNumberGenerator>: TargetPicker {
    private var generator: Generator

    public init(generator: Generator) {
        self.generator = generator
    }

    public mutating func pick(from candidates: [BalancingCandidate], for request: RequestKey) -> Target? {
        guard candidates.count > 1 else { return candidates.first?.target }
        let first = Int.random(in: 0..<candidates.count, using: &self.generator)
        var second = Int.random(in: 0..<(candidates.count - 1), using: &self.generator)
        if second >= first {
            second += 1  // skip `first`, keeping the second draw uniform over the others
        }
        let a = candidates[first]
        let b = candidates[second]
        return LeastConnectionsPicker.compareLoad(b, a) == .lower ? b.target : a.target
    }
}

extension RandomTwoPicker: Sendable where Generator: Sendable {}

extension RandomTwoPicker where Generator == SystemRandomNumberGenerator {
    /// A picker that draws from the system's random number generator.
    public init() {
        self.init(generator: SystemRandomNumberGenerator())
    }
}
