import Testing

@testable import ProxyCore

struct IPHashPickerTests {
    private static let clients = (0..<10_000).map { RequestKey(clientAddress: "10.\($0 / 65536).\($0 / 256 % 256).\($0 % 256)") }

    /// The target of every client in ``clients``.
    private func assignments(_ candidates: [BalancingCandidate]) -> [String] {
        var picker = IPHashPicker()
        return Self.clients.map { picker.pick(from: candidates, for: $0)!.id }
    }

    @Test func aClientAlwaysGetsTheSameTarget() {
        let candidates = ["t1", "t2", "t3", "t4"].map { BalancingCandidate.named($0) }
        var picker = IPHashPicker()
        let client = RequestKey(clientAddress: "198.51.100.23")
        let first = picker.pick(from: candidates, for: client)?.id
        #expect(picker.pickIDs(20, from: candidates, for: client) == Array(repeating: first!, count: 20))

        // Neither a fresh picker nor another order nor load changes the answer.
        var other = IPHashPicker()
        let reordered = candidates.reversed().map { BalancingCandidate(target: $0.target, weight: 1, inFlight: 99) }
        #expect(other.pick(from: reordered, for: client)?.id == first)
    }

    @Test func isTheSameInEveryProcess() {
        // Pinned values: if these change, every client moves on the next deploy.
        let candidates = ["t1", "t2", "t3", "t4"].map { BalancingCandidate.named($0) }
        var picker = IPHashPicker()
        let picks = ["203.0.113.7", "198.51.100.23", "2001:db8::1", "10.1.2.3", ""].map {
            picker.pick(from: candidates, for: RequestKey(clientAddress: $0))!.id
        }
        #expect(picks == ["t3", "t2", "t3", "t1", "t1"])
    }

    @Test func spreadsClientsEvenly() {
        let tally = self.assignments(["t1", "t2", "t3", "t4"].map { BalancingCandidate.named($0) }).tally
        #expect(tally.count == 4)
        for (id, count) in tally {
            #expect((2125...2875).contains(count), "\(id): \(count)")
        }
    }

    @Test func respectsWeights() {
        let candidates = [BalancingCandidate.named("heavy", weight: 2), .named("b"), .named("c")]
        let tally = self.assignments(candidates).tally
        for light in ["b", "c"] {
            let ratio = Double(tally["heavy", default: 0]) / Double(tally[light, default: 1])
            #expect((1.7...2.3).contains(ratio), "heavy/\(light) = \(ratio)")
        }
    }

    @Test func addingATargetMovesOnlyItsShareAndOnlyToIt() {
        let four = ["t1", "t2", "t3", "t4"].map { BalancingCandidate.named($0) }
        let before = self.assignments(four)
        let after = self.assignments(four + [.named("t5")])
        let moved = zip(before, after).filter { $0 != $1 }
        let share = Double(moved.count) / Double(Self.clients.count)
        #expect((0.12...0.28).contains(share), "moved \(share)")
        #expect(moved.allSatisfy { $0.1 == "t5" })
    }

    @Test func removingATargetMovesOnlyItsClients() {
        let four = ["t1", "t2", "t3", "t4"].map { BalancingCandidate.named($0) }
        let before = self.assignments(four)
        let after = self.assignments(four.filter { $0.target.id != "t3" })
        #expect(!after.contains("t3"))
        for (old, new) in zip(before, after) where old != "t3" {
            #expect(old == new)
        }
        // The orphans spread over the rest instead of landing on one neighbour.
        let orphans = zip(before, after).filter { $0.0 == "t3" }.map(\.1).tally
        #expect(orphans.count == 3)
        #expect(orphans.values.allSatisfy { $0 > 500 })
    }

    @Test func emptyAndSingleCandidate() {
        var picker = IPHashPicker()
        #expect(picker.pick(from: [], for: .anyClient) == nil)
        #expect(picker.pick(from: [.named("only")], for: .anyClient)?.id == "only")
    }

    @Test func stableHashIsFNV1aWithAFinalizer() {
        // FNV-1a 64 reference vectors.
        #expect(StableHash().state == 0xcbf2_9ce4_8422_2325)
        var a = StableHash()
        a.combine(UInt8(ascii: "a"))
        #expect(a.state == 0xaf63_dc4c_8601_ec8c)
        var foobar = StableHash()
        for byte in "foobar".utf8 { foobar.combine(byte) }
        #expect(foobar.state == 0x8594_4171_f739_67e8)

        var ab = StableHash()
        ab.combine("ab")
        ab.combine("c")
        var bc = StableHash()
        bc.combine("a")
        bc.combine("bc")
        #expect(ab.finalize() != bc.finalize())

        #expect(StableHash.unitInterval(0) > 0)
        #expect(StableHash.unitInterval(.max) < 1)
    }
}
