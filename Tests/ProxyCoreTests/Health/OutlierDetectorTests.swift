import Testing

@testable import ProxyCore

struct OutlierDetectorTests {
    /// Records `count` failures of `targetID` at `now` and returns the last action.
    private func fail(
        _ detector: inout OutlierDetector,
        _ targetID: String,
        times count: Int,
        at now: Duration = .zero,
        groupSize: Int = 4
    ) -> OutlierDetector.Action {
        var last = OutlierDetector.Action.none
        for _ in 0..<count {
            last = detector.record(targetID: targetID, success: false, now: now, groupSize: groupSize)
        }
        return last
    }

    @Test func ejectsAfterConsecutiveFailures() {
        var detector = OutlierDetector(settings: .init())
        #expect(self.fail(&detector, "a", times: 4, at: .seconds(10)) == .none)
        #expect(!detector.isEjected("a"))
        #expect(self.fail(&detector, "a", times: 1, at: .seconds(10)) == .eject(targetID: "a", until: .seconds(40), ejectionCount: 1))
        #expect(detector.isEjected("a"))
        #expect(!detector.isEjected("b"))
        #expect(detector.ejectedCount == 1)
    }

    @Test func aSuccessResetsTheStreak() {
        var detector = OutlierDetector(settings: .init(consecutiveFailures: 3))
        #expect(self.fail(&detector, "a", times: 2) == .none)
        #expect(detector.record(targetID: "a", success: true, now: .zero, groupSize: 4) == .none)
        #expect(self.fail(&detector, "a", times: 2) == .none)
        #expect(!detector.isEjected("a"))
        #expect(self.fail(&detector, "a", times: 1) != .none)
    }

    @Test func streaksAreKeptPerTarget() {
        var detector = OutlierDetector(settings: .init(consecutiveFailures: 2))
        #expect(self.fail(&detector, "a", times: 1) == .none)
        #expect(self.fail(&detector, "b", times: 1) == .none)
        #expect(detector.record(targetID: "b", success: true, now: .zero, groupSize: 4) == .none)
        #expect(self.fail(&detector, "a", times: 1) != .none)
        #expect(!detector.isEjected("b"))
    }

    @Test func respectsMaxEjectionPercent() {
        var detector = OutlierDetector(settings: .init(consecutiveFailures: 1, maxEjectionPercent: 50))
        #expect(self.fail(&detector, "a", times: 1) != .none)
        #expect(self.fail(&detector, "b", times: 1) != .none)
        #expect(self.fail(&detector, "c", times: 3) == .none)  // 3 of 4 would be 75%
        #expect(!detector.isEjected("c"))

        _ = detector.expire(now: .seconds(30))
        #expect(self.fail(&detector, "c", times: 1, at: .seconds(31)) == .eject(targetID: "c", until: .seconds(61), ejectionCount: 1))
    }

    @Test func neverEjectsTheOnlyTargetAtFiftyPercent() {
        var detector = OutlierDetector(settings: .init())
        #expect(self.fail(&detector, "solo", times: 100, groupSize: 1) == .none)
        #expect(!detector.isEjected("solo"))

        var lenient = OutlierDetector(settings: .init(consecutiveFailures: 2, maxEjectionPercent: 100))
        #expect(self.fail(&lenient, "solo", times: 2, groupSize: 1) != .none)
    }

    @Test func ejectionTimeGrowsOnRepeats() {
        var detector = OutlierDetector(settings: .init())
        #expect(self.fail(&detector, "a", times: 5, at: .zero) == .eject(targetID: "a", until: .seconds(30), ejectionCount: 1))
        #expect(detector.expire(now: .seconds(30)) == [.unejected(targetID: "a")])
        #expect(self.fail(&detector, "a", times: 5, at: .seconds(40)) == .eject(targetID: "a", until: .seconds(100), ejectionCount: 2))
        #expect(detector.expire(now: .seconds(100)) == [.unejected(targetID: "a")])
        #expect(self.fail(&detector, "a", times: 5, at: .seconds(200)) == .eject(targetID: "a", until: .seconds(290), ejectionCount: 3))
    }

    @Test func expireUnejectsOnlyTargetsWhoseTimeHasCome() {
        var detector = OutlierDetector(settings: .init(consecutiveFailures: 1, maxEjectionPercent: 100))
        _ = self.fail(&detector, "c", times: 1, at: .seconds(0))
        _ = self.fail(&detector, "a", times: 1, at: .seconds(5))
        _ = self.fail(&detector, "b", times: 1, at: .seconds(20))
        #expect(detector.expire(now: .seconds(29)) == [])
        #expect(detector.expire(now: .seconds(35)) == [.unejected(targetID: "a"), .unejected(targetID: "c")])
        #expect(!detector.isEjected("a"))
        #expect(detector.isEjected("b"))
        #expect(detector.expire(now: .seconds(35)) == [])
        #expect(detector.expire(now: .seconds(50)) == [.unejected(targetID: "b")])
        #expect(detector.ejectedCount == 0)
    }

    @Test func outcomesWhileEjectedChangeNothing() {
        var detector = OutlierDetector(settings: .init(consecutiveFailures: 2))
        _ = self.fail(&detector, "a", times: 2)
        #expect(self.fail(&detector, "a", times: 10, at: .seconds(5)) == .none)
        #expect(detector.record(targetID: "a", success: true, now: .seconds(6), groupSize: 4) == .none)
        #expect(detector.isEjected("a"))
        #expect(detector.expire(now: .seconds(30)) == [.unejected(targetID: "a")])
        // The streak starts afresh after the ejection.
        #expect(self.fail(&detector, "a", times: 1, at: .seconds(31)) == .none)
    }

    @Test func disabledNeverEjects() {
        var detector = OutlierDetector(settings: .init(consecutiveFailures: 1, enabled: false))
        #expect(self.fail(&detector, "a", times: 50) == .none)
        #expect(!detector.isEjected("a"))
        #expect(detector.expire(now: .seconds(1000)) == [])
    }

    @Test func settingsDefaults() {
        let settings = OutlierDetector.Settings()
        #expect(settings.consecutiveFailures == 5)
        #expect(settings.baseEjectionTime == .seconds(30))
        #expect(settings.maxEjectionPercent == 50)
        #expect(settings.enabled)
    }
}
