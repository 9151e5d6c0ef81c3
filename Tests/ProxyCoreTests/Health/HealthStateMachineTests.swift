import Testing

@testable import ProxyCore

struct HealthStateMachineTests {
    private let pass = ProbeResult.passed(status: 200)
    private let fail = ProbeResult.failed(reason: .status(503))

    @Test func atStartupServesUntilTheFirstProbeDecides() {
        var up = HealthStateMachine(healthyThreshold: 3, unhealthyThreshold: 3, atStartup: true)
        #expect(up.health == .unknown)
        #expect(up.isServing)
        #expect(up.lastResult == nil)
        #expect(up.record(self.pass) == .becameHealthy)
        #expect(up.health == .healthy)

        var down = HealthStateMachine(healthyThreshold: 3, unhealthyThreshold: 3, atStartup: true)
        #expect(down.record(.failed(reason: .refused)) == .becameUnhealthy)
        #expect(down.health == .unhealthy)
        #expect(!down.isServing)
        // After the first result the thresholds apply.
        #expect(down.record(self.pass) == .none)
        #expect(down.record(self.pass) == .none)
        #expect(down.record(self.pass) == .becameHealthy)
    }

    @Test func aTargetAddedWhileRunningNeedsTheThreshold() {
        var machine = HealthStateMachine(healthyThreshold: 2, unhealthyThreshold: 3, atStartup: false)
        #expect(machine.health == .unhealthy)
        #expect(!machine.isServing)
        #expect(machine.record(self.pass) == .none)
        #expect(!machine.isServing)
        #expect(machine.record(self.pass) == .becameHealthy)
        #expect(machine.isServing)
        #expect(machine.record(self.pass) == .none)
    }

    @Test func fallsAfterTheUnhealthyThresholdAndAStreakBreakResets() {
        var machine = HealthStateMachine(healthyThreshold: 2, unhealthyThreshold: 3, atStartup: true)
        _ = machine.record(self.pass)
        #expect(machine.record(self.fail) == .none)
        #expect(machine.record(self.fail) == .none)
        #expect(machine.record(self.pass) == .none)  // streak broken
        #expect(machine.record(self.fail) == .none)
        #expect(machine.record(self.fail) == .none)
        #expect(machine.health == .healthy)
        #expect(machine.record(self.fail) == .becameUnhealthy)
        #expect(machine.health == .unhealthy)
        #expect(machine.record(self.fail) == .none)

        #expect(machine.record(self.pass) == .none)
        #expect(machine.record(self.fail) == .none)  // rise streak broken
        #expect(machine.record(self.pass) == .none)
        #expect(machine.record(self.pass) == .becameHealthy)
    }

    @Test(arguments: [true, false])
    func flappingNeverChangesState(startHealthy: Bool) {
        var machine = HealthStateMachine(healthyThreshold: 2, unhealthyThreshold: 2, atStartup: true)
        _ = machine.record(startHealthy ? self.pass : self.fail)
        let settled = machine.health
        let opposite = startHealthy ? self.fail : self.pass
        let same = startHealthy ? self.pass : self.fail
        for step in 0..<40 {
            #expect(machine.record(step.isMultiple(of: 2) ? opposite : same) == .none)
        }
        #expect(machine.health == settled)
    }

    @Test func thresholdOfOneFlipsAtOnce() {
        var machine = HealthStateMachine(healthyThreshold: 1, unhealthyThreshold: 1, atStartup: false)
        #expect(machine.record(self.pass) == .becameHealthy)
        #expect(machine.record(self.fail) == .becameUnhealthy)
        #expect(machine.record(self.pass) == .becameHealthy)
    }

    @Test func countsStreaksAndKeepsTheLastResult() {
        var machine = HealthStateMachine(healthyThreshold: 2, unhealthyThreshold: 2, atStartup: false)
        _ = machine.record(.passed(status: nil))
        _ = machine.record(.passed(status: 204))
        _ = machine.record(.passed(status: 200))
        #expect(machine.consecutivePasses == 3)
        #expect(machine.consecutiveFailures == 0)
        #expect(machine.lastResult == .passed(status: 200))

        _ = machine.record(.failed(reason: .timeout))
        _ = machine.record(.failed(reason: .reset))
        #expect(machine.consecutivePasses == 0)
        #expect(machine.consecutiveFailures == 2)
        #expect(machine.lastResult == .failed(reason: .reset))
        #expect(machine.health == .unhealthy)
    }

    @Test func describesProbeFailures() {
        let failures: [ProbeFailure] = [.status(503), .timeout, .refused, .reset, .malformedResponse("bare LF"), .error("TLS handshake failed")]
        #expect(failures.map(\.description) == [
            "status 503", "timeout", "connection refused", "connection reset", "malformed response: bare LF", "TLS handshake failed",
        ])
        #expect(ProbeResult.passed(status: nil).isPass)
        #expect(!ProbeResult.failed(reason: .timeout).isPass)
    }

    @Test func describesProbeResultsAsValues() {
        let results: [ProbeResult] = [.passed(status: 200), .passed(status: nil), .failed(reason: .status(503))]
        #expect(results.map { "\($0)" } == ["passed: status 200", "passed", "failed: status 503"])
    }
}
