import Testing

@testable import ProxyCore

struct LeastConnectionsPickerTests {
    @Test func picksTheLeastLoaded() {
        var picker = LeastConnectionsPicker()
        let candidates = [BalancingCandidate.named("a", inFlight: 3), .named("b", inFlight: 1), .named("c", inFlight: 2)]
        #expect(picker.pickIDs(5, from: candidates) == Array(repeating: "b", count: 5))
    }

    @Test func comparesLoadPerWeight() {
        var picker = LeastConnectionsPicker()
        // 5/3 < 2/1
        let heavy = [BalancingCandidate.named("a", weight: 3, inFlight: 5), .named("b", weight: 1, inFlight: 2)]
        #expect(picker.pick(from: heavy, for: .anyClient)?.id == "a")
        // 7/3 > 2/1
        let busier = [BalancingCandidate.named("a", weight: 3, inFlight: 7), .named("b", weight: 1, inFlight: 2)]
        #expect(picker.pick(from: busier, for: .anyClient)?.id == "b")
        #expect(LeastConnectionsPicker.compareLoad(.named("x", weight: 2, inFlight: 4), .named("y", inFlight: 2)) == .equal)
    }

    @Test func rotatesAmongTies() {
        var picker = LeastConnectionsPicker()
        let idle = ["a", "b", "c"].map { BalancingCandidate.named($0) }
        #expect(picker.pickIDs(6, from: idle) == ["a", "b", "c", "a", "b", "c"])

        let twoTied = [BalancingCandidate.named("a", inFlight: 1), .named("b", inFlight: 2), .named("c", inFlight: 1)]
        let picks = picker.pickIDs(10, from: twoTied)
        #expect(picks.tally == ["a": 5, "c": 5])
        #expect(!zip(picks, picks.dropFirst()).contains { $0 == $1 })
    }

    @Test func tiesShareByWeight() {
        var picker = LeastConnectionsPicker()
        let idle = [BalancingCandidate.named("a", weight: 3), .named("b")]
        #expect(picker.pickIDs(8, from: idle).tally == ["a": 6, "b": 2])
    }

    @Test func fillsTargetsInProportionToWeight() {
        var picker = LeastConnectionsPicker()
        var candidates = [BalancingCandidate.named("a", weight: 3), .named("b", weight: 1)]
        for _ in 0..<400 {
            let id = picker.pick(from: candidates, for: .anyClient)?.id
            let index = candidates.firstIndex { $0.target.id == id }!
            candidates[index].inFlight += 1
        }
        #expect(candidates.map(\.inFlight) == [300, 100])
    }

    @Test func survivesTargetsLeavingAndJoining() {
        var picker = LeastConnectionsPicker()
        #expect(picker.pick(from: [], for: .anyClient) == nil)
        let all = ["a", "b", "c", "d"].map { BalancingCandidate.named($0) }
        _ = picker.pickIDs(3, from: all)
        let withoutB = picker.pickIDs(30, from: [all[0], all[2], all[3]])
        #expect(!withoutB.contains("b"))
        // The tie-breaker resumes its rotation, so the first cycle may be off by one.
        #expect(withoutB.tally.keys.sorted() == ["a", "c", "d"])
        #expect(withoutB.tally.values.allSatisfy { (9...11).contains($0) })
        #expect(picker.pickIDs(3, from: [all[1]]) == ["b", "b", "b"])
        let back = picker.pickIDs(40, from: all)
        #expect(back.tally.keys.sorted() == ["a", "b", "c", "d"])
        #expect(back.tally.values.allSatisfy { (9...11).contains($0) })
    }

    @Test func absurdCountsDoNotTrap() {
        var picker = LeastConnectionsPicker()
        let candidates = [BalancingCandidate.named("a", inFlight: .max), .named("b", weight: 2, inFlight: 3)]
        #expect(picker.pick(from: candidates, for: .anyClient)?.id == "b")
    }
}
