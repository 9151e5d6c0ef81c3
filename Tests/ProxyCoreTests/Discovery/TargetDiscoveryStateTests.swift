import Testing

@testable import ProxyCore

/// The diff between DNS answers and a group's DNS targets, and when names are asked again.
struct TargetDiscoveryStateTests {
    private static func target(_ host: String, port: Int = 8080, weight: Int = 1) -> DiscoveredTarget {
        DiscoveredTarget(host: host, port: port, weight: weight)
    }

    @Test func newAddressesRegisterVanishedOnesDrainThenDeregisterWhenIdle() {
        var state = TargetDiscoveryState()
        let a = Self.target("127.0.0.2")
        let b = Self.target("127.0.0.3")
        #expect(state.record([a, b], source: 0, now: .seconds(0)) == [.register(a), .register(b)])
        #expect(state.record([a, b], source: 0, now: .seconds(1)) == [])
        #expect(state.record([a], source: 0, now: .seconds(2)) == [.drain(id: "127.0.0.3:8080")])
        #expect(state.isDraining)
        // Still busy: stays.
        #expect(state.finishDrains(inFlight: ["127.0.0.3:8080": 2], now: .seconds(3), limit: .seconds(300)) == [])
        #expect(state.finishDrains(inFlight: ["127.0.0.3:8080": 0], now: .seconds(4), limit: .seconds(300)) == [.deregister(id: "127.0.0.3:8080")])
        #expect(!state.isDraining)
        #expect(state.entries.keys.sorted() == ["127.0.0.2:8080"])
        // Back again: registered anew.
        #expect(state.record([a, b], source: 0, now: .seconds(5)) == [.register(b)])
    }

    @Test func aTargetBackWhileDrainingIsAttachedAndAWeightChangeApplied() {
        var state = TargetDiscoveryState()
        let a = Self.target("127.0.0.2")
        _ = state.record([a], source: 0, now: .zero)
        #expect(state.record([], source: 0, now: .seconds(1)) == [.drain(id: a.id)])
        #expect(state.record([Self.target("127.0.0.2", weight: 5)], source: 0, now: .seconds(2)) == [.attach(id: a.id), .setWeight(id: a.id, weight: 5)])
        #expect(!state.isDraining)
    }

    @Test func theDrainLimitDeregistersABusyTarget() {
        var state = TargetDiscoveryState()
        _ = state.record([Self.target("127.0.0.2")], source: 0, now: .zero)
        _ = state.record([], source: 0, now: .seconds(10))
        #expect(state.finishDrains(inFlight: ["127.0.0.2:8080": 1], now: .seconds(309), limit: .seconds(300)) == [])
        #expect(state.finishDrains(inFlight: ["127.0.0.2:8080": 1], now: .seconds(310), limit: .seconds(300)) == [.deregister(id: "127.0.0.2:8080")])
    }

    @Test func sourcesAreUnitedAndEachKeepsItsLastAnswer() {
        var state = TargetDiscoveryState()
        let a = Self.target("127.0.0.2")
        let b = Self.target("127.0.0.3", port: 9090, weight: 4)
        #expect(state.record([a], source: 0, now: .zero) == [.register(a)])
        #expect(state.record([b, a], source: 1, now: .zero) == [.register(b)])
        // Source 0 no longer names a, but source 1 does: nothing drains.
        #expect(state.record([], source: 0, now: .seconds(1)) == [])
        #expect(state.wanted == [b, a])
        // A reload drops source 0 and renumbers source 1 to 0: same wanted set.
        state.renumber([1: 0])
        #expect(state.record([b], source: 0, now: .seconds(2)) == [.drain(id: a.id)])
    }

    @Test func aFailedRegistrationIsForgotten() {
        var state = TargetDiscoveryState()
        let a = Self.target("127.0.0.2")
        _ = state.record([a], source: 0, now: .zero)
        state.registrationFailed(id: a.id)
        #expect(state.entries.isEmpty)
        // Gone from DNS: nothing to drain (the file's target stays).
        #expect(state.record([], source: 0, now: .seconds(1)) == [])
    }

    @Test func aTargetAnOperatorRemovedIsLeftAloneWhileDNSNamesIt() {
        var state = TargetDiscoveryState()
        let a = Self.target("127.0.0.2")
        let b = Self.target("127.0.0.3")
        _ = state.record([a, b], source: 0, now: .zero)
        // The operator deregistered b: the group has a only.
        #expect(state.withdrawMissing(present: [a.id, "10.0.0.9:80"]) == [b.id])
        #expect(state.entries.keys.sorted() == [a.id])
        // Still named: not registered again, and not carried into a replaced monitor.
        #expect(state.record([a, b], source: 0, now: .seconds(1)) == [])
        #expect(state.record([a, Self.target("127.0.0.3", weight: 7)], source: 0, now: .seconds(2)) == [])
        #expect(!state.entries.keys.contains(b.id))
        // No longer named: forgotten; named again later, it is new.
        #expect(state.record([a], source: 0, now: .seconds(3)) == [])
        #expect(state.withdrawn.isEmpty)
        #expect(state.record([a, b], source: 0, now: .seconds(4)) == [.register(b)])
    }

    @Test func anAnswerBeyondTheCapKeepsTheLowestIdsWhateverTheOrder() {
        let targets = (2..<12).map { Self.target("127.0.0.\($0)") }
        let kept = DiscoveredTarget.limited(targets, to: 4)
        #expect(kept.cut == 6)
        #expect(kept.targets.map(\.id) == ["127.0.0.10:8080", "127.0.0.11:8080", "127.0.0.2:8080", "127.0.0.3:8080"])
        #expect(DiscoveredTarget.limited(targets.reversed(), to: 4).targets == kept.targets)
        // Within the cap: as answered.
        #expect(DiscoveredTarget.limited(targets.reversed(), to: 10) == (targets.reversed(), 0))
    }

    @Test func carriedTargetsAreKnownAlready() {
        var state = TargetDiscoveryState(carrying: [Self.target("127.0.0.2")], draining: [])
        #expect(state.record([Self.target("127.0.0.2")], source: 0, now: .zero) == [])
    }

    @Test func namesAreStableHashesThatHideTheAddress() {
        let target = Self.target("127.0.0.2")
        #expect(target.name.hasPrefix("dns-"))
        #expect(target.name.count == 20)
        #expect(!target.name.contains("127"))
        #expect(target.name == Self.target("127.0.0.2", weight: 9).name)
        #expect(target.name != Self.target("127.0.0.2", port: 8081).name)
        #expect(DiscoveredTarget(host: "::1", port: 80, weight: 1).id == "[::1]:80")
        #expect(DiscoveredTarget.weight(fromSRV: 0) == 1)
        #expect(DiscoveredTarget.weight(fromSRV: 60_000) == 1000)
        #expect(DiscoveredTarget.weight(fromSRV: 7) == 7)
    }

    @Test func refreshIsTheShorterOfRefreshAndTTLAboveAFloor() {
        let schedule = RefreshSchedule(refresh: .seconds(10), minimum: .seconds(1), retryAfterFailure: .seconds(5))
        #expect(schedule.delay(afterAnswerWithTTL: 300) == .seconds(10))
        #expect(schedule.delay(afterAnswerWithTTL: 3) == .seconds(3))
        #expect(schedule.delay(afterAnswerWithTTL: 0) == .seconds(1))
        #expect(schedule.delay(afterAnswerWithTTL: nil) == .seconds(10))
        #expect(schedule.delayAfterFailure == .seconds(5))
        #expect(RefreshSchedule(refresh: .seconds(2)).delayAfterFailure == .seconds(2))
    }

    @Test func readsResolvConf() {
        let text = """
            # generated
            search corp.example
            nameserver 10.0.0.2
            nameserver not-an-address
            nameserver ::1 ; trailing comment
            options ndots:2 timeout:3 attempts:9
            nameserver 10.0.0.3
            nameserver 10.0.0.4
            """
        let configuration = ResolverConfiguration.parseResolvConf(text) { $0.contains(".") && $0.first!.isNumber || $0.contains(":") }
        #expect(configuration.servers.map(\.description) == ["10.0.0.2:53", "[::1]:53", "10.0.0.3:53"])
        #expect(configuration.timeout == .seconds(3))
        #expect(configuration.attempts == 5)
        let empty = ResolverConfiguration.parseResolvConf("", isIPAddress: { _ in true })
        #expect(empty.servers.map(\.description) == ["127.0.0.1:53"])
        #expect(empty.timeout == .seconds(2))
        #expect(empty.attempts == 2)
    }
}
