import Testing

@testable import ProxyCore

struct BalancingPolicyTests {
    @Test func rawValuesAreTheConfigSpellings() {
        #expect(BalancingPolicy.allCases.map(\.rawValue) == ["round_robin", "least_connections", "ip_hash", "random_two"])
        #expect(BalancingPolicy(rawValue: "ip_hash") == .ipHash)
    }

    @Test func makesThePickerOfEachPolicy() {
        #expect(BalancingPolicy.roundRobin.makePicker() is RoundRobinPicker)
        #expect(BalancingPolicy.leastConnections.makePicker() is LeastConnectionsPicker)
        #expect(BalancingPolicy.ipHash.makePicker() is IPHashPicker)
        #expect(BalancingPolicy.randomTwo.makePicker() is RandomTwoPicker<SystemRandomNumberGenerator>)
    }

    @Test(arguments: BalancingPolicy.allCases)
    func everyPolicyReturnsNilOnlyWhenEmpty(_ policy: BalancingPolicy) {
        var picker = policy.makePicker()
        #expect(picker.pick(from: [], for: .anyClient) == nil)
        #expect(picker.pick(from: [.named("only")], for: .anyClient)?.id == "only")
        let candidates = ["a", "b", "c"].map { BalancingCandidate.named($0) }
        let picks = picker.pickIDs(30, from: candidates)
        #expect(picks.count == 30)
        #expect(Set(picks).isSubset(of: ["a", "b", "c"]))
    }
}
