import Testing

@testable import ProxyCore

struct RandomTwoPickerTests {
    @Test func spreadsEvenlyOnEqualLoad() {
        var picker = RandomTwoPicker(generator: SplitMix64(seed: 42))
        let candidates = ["a", "b", "c", "d"].map { BalancingCandidate.named($0, inFlight: 2) }
        let tally = picker.pickIDs(10_000, from: candidates).tally
        #expect(tally.count == 4)
        for (id, count) in tally {
            #expect((2375...2625).contains(count), "\(id): \(count)")
        }
    }

    @Test func prefersTheLessLoaded() {
        var picker = RandomTwoPicker(generator: SplitMix64(seed: 7))
        let candidates = [
            BalancingCandidate.named("idle", inFlight: 0), .named("b", inFlight: 5), .named("c", inFlight: 5),
            .named("busiest", inFlight: 10),
        ]
        let tally = picker.pickIDs(10_000, from: candidates).tally
        #expect(tally["busiest"] == nil)
        // The idle target wins whenever it is drawn: in 3 of the 6 pairs.
        #expect((4500...5500).contains(tally["idle", default: 0]))
    }

    @Test func theTwoDrawsAreDistinct() {
        // With two candidates both are always compared, so the less loaded one always wins.
        var picker = RandomTwoPicker(generator: SplitMix64(seed: 1))
        let candidates = [BalancingCandidate.named("a", inFlight: 1), .named("b", inFlight: 0)]
        #expect(picker.pickIDs(1000, from: candidates) == Array(repeating: "b", count: 1000))
    }

    @Test func comparesLoadPerWeight() {
        var picker = RandomTwoPicker(generator: SplitMix64(seed: 3))
        // 3/2 < 2/1
        let candidates = [BalancingCandidate.named("a", weight: 2, inFlight: 3), .named("b", weight: 1, inFlight: 2)]
        #expect(picker.pickIDs(100, from: candidates) == Array(repeating: "a", count: 100))
    }

    @Test func emptyAndSingleCandidate() {
        var picker = RandomTwoPicker(generator: SplitMix64(seed: 0))
        #expect(picker.pick(from: [], for: .anyClient) == nil)
        #expect(picker.pickIDs(3, from: [.named("only", inFlight: 100)]) == ["only", "only", "only"])
        var system = RandomTwoPicker()
        #expect(system.pick(from: [.named("x"), .named("y")], for: .anyClient) != nil)
    }

    @Test func sameSeedSameSequence() {
        let candidates = ["a", "b", "c", "d", "e"].map { BalancingCandidate.named($0) }
        var first = RandomTwoPicker(generator: SplitMix64(seed: 99))
        var second = RandomTwoPicker(generator: SplitMix64(seed: 99))
        #expect(first.pickIDs(100, from: candidates) == second.pickIDs(100, from: candidates))
    }

    @Test func splitMix64MatchesTheReference() {
        var generator = SplitMix64(seed: 0)
        #expect([generator.next(), generator.next(), generator.next()] == [
            0xe220_a839_7b1d_cdaf, 0x6e78_9e6a_a1b9_65f4, 0x06c4_5d18_8009_454f,
        ])
    }
}
