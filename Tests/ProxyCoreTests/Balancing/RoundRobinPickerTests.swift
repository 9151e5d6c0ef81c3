import Testing

@testable import ProxyCore

struct RoundRobinPickerTests {
    /// The picker as first written, scores in a table by id: the reference the positional
    /// scores must match pick for pick.
    struct ReferencePicker {
        var scores: [String: Int] = [:]

        mutating func pick(from candidates: [BalancingCandidate]) -> String? {
            guard candidates.count > 1 else { return candidates.first?.target.id }
            var total = 0
            var best = 0
            var bestScore = Int.min
            for (index, candidate) in candidates.enumerated() {
                let weight = max(candidate.weight, 1)
                total += weight
                let score = self.scores[candidate.target.id, default: 0] + weight
                self.scores[candidate.target.id] = score
                if score > bestScore {
                    bestScore = score
                    best = index
                }
            }
            let winner = candidates[best].target
            self.scores[winner.id, default: 0] -= total
            if self.scores.count > candidates.count * 2 {
                let live = Set(candidates.map(\.target.id))
                self.scores = self.scores.filter { live.contains($0.key) }
            }
            return winner.id
        }
    }

    /// Candidates coming and going at random (a target at its limit, ejected, back, a new one):
    /// the same picks as the reference, every time.
    @Test func positionalScoresPickAsTheReferenceDoes() {
        var random = SplitMix64(seed: 42)
        let pool = (0..<8).map { BalancingCandidate.named("t\($0)", weight: 1 + $0 % 4) }
        var picker = RoundRobinPicker()
        var reference = ReferencePicker()
        var candidates = Array(pool.prefix(3))
        var differences = 0
        for step in 0..<5_000 {
            if random.next() % 10 == 0 {
                // A new subset, in group order.
                candidates = pool.filter { _ in random.next() % 2 == 0 }
            }
            if picker.pick(from: candidates, for: .anyClient)?.id != reference.pick(from: candidates) {
                differences += 1
            }
            if step % 500 == 0 {
                #expect(picker.scores == reference.scores)
            }
        }
        #expect(differences == 0)
    }

    @Test func weightedRoundRobinIsExactAndSmooth() {
        var picker = RoundRobinPicker()
        let candidates = [BalancingCandidate.named("a", weight: 5), .named("b"), .named("c")]
        let picks = picker.pickIDs(7, from: candidates)
        #expect(picks.tally == ["a": 5, "b": 1, "c": 1])
        #expect(picks == ["a", "a", "b", "a", "c", "a", "a"])
    }

    @Test func everyCycleHasExactlyTheWeights() {
        var picker = RoundRobinPicker()
        let candidates = [BalancingCandidate.named("a", weight: 3), .named("b", weight: 2), .named("c")]
        let picks = picker.pickIDs(1000, from: candidates)
        for cycle in stride(from: 0, to: 996, by: 6) {
            #expect(Array(picks[cycle..<cycle + 6]).tally == ["a": 3, "b": 2, "c": 1])
        }
        #expect(Array(picks[..<6]) == ["a", "b", "a", "c", "b", "a"])
        // 166 whole cycles, then a b a c.
        #expect(picks.tally == ["a": 500, "b": 333, "c": 167])
    }

    @Test func equalWeightsVisitInGroupOrder() {
        var picker = RoundRobinPicker()
        let candidates = ["t1", "t2", "t3"].map { BalancingCandidate.named($0) }
        #expect(picker.pickIDs(6, from: candidates) == ["t1", "t2", "t3", "t1", "t2", "t3"])
    }

    @Test func weightsBelowOneCountAsOne() {
        var picker = RoundRobinPicker()
        let candidates = [BalancingCandidate.named("a", weight: 0), .named("b", weight: -4)]
        #expect(picker.pickIDs(10, from: candidates).tally == ["a": 5, "b": 5])
    }

    @Test func emptyAndSingleCandidate() {
        var picker = RoundRobinPicker()
        #expect(picker.pick(from: [], for: .anyClient) == nil)
        #expect(picker.pickIDs(3, from: [.named("only", weight: 7)]) == ["only", "only", "only"])
    }

    @Test func survivesTargetsLeavingAndJoining() {
        var picker = RoundRobinPicker()
        let a = BalancingCandidate.named("a", weight: 5)
        let b = BalancingCandidate.named("b", weight: 2)
        let c = BalancingCandidate.named("c", weight: 1)
        let d = BalancingCandidate.named("d", weight: 1)

        _ = picker.pickIDs(3, from: [a, b, c])  // part-way through a cycle
        let withoutA = picker.pickIDs(300, from: [b, c])
        #expect(!withoutA.contains("a"))
        #expect(abs(withoutA.tally["b", default: 0] - 200) <= 3)

        let withD = picker.pickIDs(900, from: [a, b, c, d])
        let tally = withD.tally
        #expect(abs(tally["a", default: 0] - 500) <= 3)
        #expect(abs(tally["b", default: 0] - 200) <= 3)
        #expect(abs(tally["c", default: 0] - 100) <= 3)
        #expect(abs(tally["d", default: 0] - 100) <= 3)

        #expect(picker.pickIDs(50, from: [d]) == Array(repeating: "d", count: 50))
    }

    @Test func forgetsTargetsThatLeftForGood() {
        var picker = RoundRobinPicker()
        for generation in 0..<50 {
            let candidates = [BalancingCandidate.named("g\(generation)-1"), .named("g\(generation)-2", weight: 2)]
            let picks = picker.pickIDs(6, from: candidates)
            #expect(picks.tally == ["g\(generation)-1": 2, "g\(generation)-2": 4])
            #expect(picker.scores.count <= 5)
        }
    }
}
