import Testing

@testable import ProxyCore

/// Scaling rules on a fake clock: each `now` is a plain `Duration`.
struct ScalingRuleStateMachineTests {
    private func at(_ seconds: Int) -> Duration { .seconds(seconds) }

    private func scaleOut(
        holdFor: Duration = .seconds(60),
        cooldown: Duration = .seconds(300),
        hysteresis: Double = 0.1
    ) -> ScalingRuleStateMachine {
        ScalingRuleStateMachine(
            rule: ScalingRule(
                name: "scale-out",
                metric: .requestsPerTargetPerSecond,
                comparison: .greaterThan,
                threshold: 200,
                holdFor: holdFor,
                cooldown: cooldown,
                hysteresis: hysteresis
            )
        )
    }

    @Test func firesOnlyOnceTheConditionHeldForTheWholeFor() {
        var machine = self.scaleOut()
        #expect(machine.evaluate(value: 250, now: self.at(0)) == .none)
        #expect(machine.state == .pending(since: self.at(0)))
        #expect(machine.evaluate(value: 260, now: self.at(30)) == .none)
        #expect(machine.evaluate(value: 240, now: self.at(59)) == .none)
        #expect(machine.evaluate(value: 230, now: self.at(60)) == .fire(value: 230))
        #expect(machine.state == .fired(at: self.at(60)))
        #expect(machine.lastFiring == self.at(60))
    }

    @Test func aBlipShorterThanForDoesNotFire() {
        var machine = self.scaleOut()
        #expect(machine.evaluate(value: 250, now: self.at(0)) == .none)
        #expect(machine.evaluate(value: 250, now: self.at(50)) == .none)
        #expect(machine.evaluate(value: 199, now: self.at(55)) == .none)  // the streak is broken
        #expect(machine.state == .armed)
        #expect(machine.evaluate(value: 250, now: self.at(60)) == .none)
        #expect(machine.evaluate(value: 250, now: self.at(119)) == .none)
        #expect(machine.evaluate(value: 250, now: self.at(120)) == .fire(value: 250))
    }

    @Test func exactlyTheThresholdDoesNotMeetAStrictComparison() {
        var machine = self.scaleOut(holdFor: .zero)
        #expect(machine.evaluate(value: 200, now: self.at(0)) == .none)
        #expect(machine.state == .armed)
    }

    @Test func oneCrossingFiresOnceHoweverLongItLasts() {
        var machine = self.scaleOut(holdFor: .zero, cooldown: .zero)
        #expect(machine.evaluate(value: 250, now: self.at(0)) == .fire(value: 250))
        for second in stride(from: 10, through: 7200, by: 10) {
            #expect(machine.evaluate(value: 250 + Double(second % 50), now: self.at(second)) == .none)
        }
        #expect(machine.state == .fired(at: self.at(0)))
    }

    @Test func oscillatingAroundTheThresholdFiresOnceUntilTheHysteresisBandIsReached() {
        var machine = self.scaleOut(holdFor: .zero, cooldown: .zero, hysteresis: 0.1)
        #expect(machine.rule.rearmBand == 20)
        #expect(machine.evaluate(value: 210, now: self.at(0)) == .fire(value: 210))
        for (second, value) in [(10, 195.0), (20, 205), (30, 181), (40, 230), (50, 190), (60, 201)] {
            #expect(machine.evaluate(value: value, now: self.at(second)) == .none, "\(value) at \(second)s")
        }
        #expect(machine.evaluate(value: 180, now: self.at(70)) == .none)  // 200 − 10 %: re-armed
        #expect(machine.state == .armed)
        #expect(machine.evaluate(value: 205, now: self.at(80)) == .fire(value: 205))
    }

    @Test func withoutHysteresisTheRuleReArmsOnceTheConditionStopsHolding() {
        var machine = self.scaleOut(holdFor: .zero, cooldown: .zero, hysteresis: 0)
        #expect(machine.evaluate(value: 201, now: self.at(0)) == .fire(value: 201))
        #expect(machine.evaluate(value: 200, now: self.at(1)) == .none)
        #expect(machine.state == .armed)
        #expect(machine.evaluate(value: 201, now: self.at(2)) == .fire(value: 201))
    }

    @Test func theCooldownBlocksASecondFiringEvenAfterReArming() {
        var machine = self.scaleOut(holdFor: .zero, cooldown: .seconds(300))
        #expect(machine.evaluate(value: 250, now: self.at(0)) == .fire(value: 250))
        #expect(machine.evaluate(value: 100, now: self.at(10)) == .none)
        #expect(machine.state == .armed)
        #expect(machine.evaluate(value: 250, now: self.at(20)) == .none)
        #expect(machine.evaluate(value: 250, now: self.at(299)) == .none)
        #expect(machine.state == .pending(since: self.at(20)))
        // Still crossing when the cooldown ends: fires at once.
        #expect(machine.evaluate(value: 240, now: self.at(300)) == .fire(value: 240))
    }

    @Test func afterTheCooldownTheConditionMustStillHoldForTheWholeFor() {
        var machine = self.scaleOut(holdFor: .seconds(60), cooldown: .seconds(100))
        _ = machine.evaluate(value: 250, now: self.at(0))
        #expect(machine.evaluate(value: 250, now: self.at(60)) == .fire(value: 250))
        #expect(machine.evaluate(value: 150, now: self.at(70)) == .none)
        #expect(machine.evaluate(value: 250, now: self.at(150)) == .none)  // cooldown over, for not yet
        #expect(machine.evaluate(value: 250, now: self.at(209)) == .none)
        #expect(machine.evaluate(value: 250, now: self.at(210)) == .fire(value: 250))
    }

    @Test func aLessThanRuleReArmsAboveTheBand() {
        var machine = ScalingRuleStateMachine(
            rule: ScalingRule(
                name: "scale-in",
                metric: .requestsPerTargetPerSecond,
                comparison: .lessThan,
                threshold: 20,
                holdFor: .seconds(300),
                cooldown: .zero,
                hysteresis: 0.1
            )
        )
        #expect(machine.evaluate(value: 25, now: self.at(0)) == .none)
        #expect(machine.evaluate(value: 12, now: self.at(10)) == .none)
        #expect(machine.evaluate(value: 5, now: self.at(310)) == .fire(value: 5))
        #expect(machine.evaluate(value: 21.9, now: self.at(320)) == .none)
        #expect(machine.state == .fired(at: self.at(310)))
        #expect(machine.evaluate(value: 22, now: self.at(330)) == .none)
        #expect(machine.state == .armed)
    }

    @Test func healthyTargetsBelowTwoReArmsAtTwo() {
        var machine = ScalingRuleStateMachine(
            rule: ScalingRule(name: "short", metric: .healthyTargets, comparison: .lessThan, threshold: 2, cooldown: .seconds(60))
        )
        #expect(machine.rule.rearmBand == 0)  // 10 % of 2 targets rounds down to none
        #expect(machine.evaluate(value: 2, now: self.at(0)) == .none)
        #expect(machine.evaluate(value: 1, now: self.at(1)) == .fire(value: 1))
        #expect(machine.evaluate(value: 0, now: self.at(2)) == .none)
        #expect(machine.evaluate(value: 1, now: self.at(3)) == .none)
        #expect(machine.evaluate(value: 2, now: self.at(4)) == .none)
        #expect(machine.state == .armed)
        #expect(machine.evaluate(value: 1, now: self.at(30)) == .none)  // cooldown
        #expect(machine.evaluate(value: 1, now: self.at(61)) == .fire(value: 1))
    }

    @Test func wholeNumberBandsRoundDown() {
        let rule = ScalingRule(name: "r", metric: .healthyTargets, comparison: .lessThan, threshold: 20, hysteresis: 0.15)
        #expect(rule.rearmBand == 3)
        #expect(!rule.isClear(of: 22))
        #expect(rule.isClear(of: 23))
        let latency = ScalingRule(name: "r", metric: .p95Latency, comparison: .greaterThanOrEqual, threshold: 500, hysteresis: 0.15)
        #expect(latency.rearmBand == 75)
        #expect(!latency.isClear(of: 425.5))
        #expect(latency.isClear(of: 425))
    }

    @Test func anUnknownValueChangesNothing() {
        var machine = ScalingRuleStateMachine(
            rule: ScalingRule(name: "slow", metric: .p95Latency, comparison: .greaterThan, threshold: 500, holdFor: .seconds(120))
        )
        #expect(machine.evaluate(value: nil, now: self.at(0)) == .none)
        #expect(machine.state == .armed)
        #expect(machine.evaluate(value: 800, now: self.at(10)) == .none)
        #expect(machine.evaluate(value: nil, now: self.at(60)) == .none)  // an idle window neither breaks
        #expect(machine.state == .pending(since: self.at(10)))
        #expect(machine.evaluate(value: nil, now: self.at(130)) == .none)  // nor completes the streak
        #expect(machine.evaluate(value: 700, now: self.at(131)) == .fire(value: 700))
        #expect(machine.evaluate(value: nil, now: self.at(140)) == .none)
        #expect(machine.state == .fired(at: self.at(131)))
    }
}
