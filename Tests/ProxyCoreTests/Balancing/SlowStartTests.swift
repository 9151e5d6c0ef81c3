import Testing

@testable import ProxyCore

struct SlowStartTests {
    private let ramp = SlowStart(duration: .seconds(100))

    @Test func rampsLinearlyFromATenth() {
        #expect(self.ramp.effectiveWeight(100, sinceHealthy: .zero) == 10)
        #expect(self.ramp.effectiveWeight(100, sinceHealthy: .seconds(50)) == 55)
        #expect(self.ramp.effectiveWeight(100, sinceHealthy: .milliseconds(99_999)) == 99)
        #expect(self.ramp.effectiveWeight(100, sinceHealthy: .seconds(100)) == 100)
        #expect(self.ramp.effectiveWeight(100, sinceHealthy: .seconds(3600)) == 100)
    }

    @Test func neverBelowOne() {
        #expect(self.ramp.effectiveWeight(5, sinceHealthy: .zero) == 1)
        #expect(self.ramp.effectiveWeight(5, sinceHealthy: .seconds(50)) == 3)
        #expect(self.ramp.effectiveWeight(0, sinceHealthy: .seconds(50)) == 1)
        #expect(self.ramp.effectiveWeight(-3, sinceHealthy: nil) == 1)
        #expect(self.ramp.effectiveWeight(10, sinceHealthy: .seconds(-5)) == 1)
    }

    @Test func neverDecreasesOverTheRamp() {
        let weights = stride(from: 0, through: 110, by: 1).map { self.ramp.effectiveWeight(37, sinceHealthy: .seconds($0)) }
        #expect(weights.first == 3)
        #expect(weights.last == 37)
        #expect(zip(weights, weights.dropFirst()).allSatisfy { $0 <= $1 })
    }

    @Test func offOrNotRecoveringGivesFullWeight() {
        #expect(SlowStart(duration: .zero).effectiveWeight(100, sinceHealthy: .zero) == 100)
        #expect(SlowStart().effectiveWeight(8, sinceHealthy: .seconds(1)) == 8)
        #expect(self.ramp.effectiveWeight(100, sinceHealthy: nil) == 100)
    }
}
