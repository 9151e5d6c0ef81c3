import Logging
import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import ProxyCore

struct TargetGroupMonitorTests {
    private let targets = [Target(host: "10.0.0.1", port: 1), Target(host: "10.0.0.2", port: 2)]

    private func make(_ loop: EmbeddedEventLoop, prober: FakeProber, allUnhealthy: AllUnhealthyBehaviour = .failOpen) -> (TargetGroupMonitor, TargetGroupLoopState) {
        let group = TargetGroup(
            name: "web",
            targets: self.targets,
            healthCheck: HealthCheckSettings(kind: .http(path: "/"), interval: .seconds(30), timeout: .seconds(5)),
            allUnhealthy: allUnhealthy
        )
        let monitor = TargetGroupMonitor(group: group, home: loop, prober: prober, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        return (monitor, monitor.makeLoopState(on: loop))
    }

    @Test func firstProbesRunAtOnceAndThenEveryInterval() {
        let loop = EmbeddedEventLoop()
        let prober = FakeProber(loop: loop)
        let (monitor, _) = self.make(loop, prober: prober)
        monitor.start()
        loop.run()
        #expect(prober.probes.count == 2)  // at startup, not after one interval
        #expect(monitor.status().allSatisfy { $0.health == .healthy })
        loop.advanceTime(by: .seconds(29))
        #expect(prober.probes.count == 2)
        loop.advanceTime(by: .seconds(1))
        #expect(prober.probes.count == 4)
    }

    @Test func failingTargetLeavesAfterThresholdAndReturnsAfterThreshold() {
        let loop = EmbeddedEventLoop()
        let prober = FakeProber(loop: loop)
        let (monitor, state) = self.make(loop, prober: prober)
        monitor.start()
        loop.run()
        prober.failing = ["10.0.0.2:2"]
        loop.advanceTime(by: .seconds(30))
        #expect(monitor.status()[1].health == .healthy)  // one failure: still in (threshold 2)
        loop.advanceTime(by: .seconds(30))
        #expect(monitor.status()[1].health == .unhealthy)
        #expect(monitor.status()[1].lastProbe == .failed(reason: .refused))
        let picks = (0..<10).compactMap { _ in state.pick(for: RequestKey(clientAddress: "x")) }
        #expect(Set(picks.map(\.id)) == ["10.0.0.1:1"])

        prober.failing = []
        loop.advanceTime(by: .seconds(30))
        #expect(monitor.status()[1].health == .unhealthy)
        loop.advanceTime(by: .seconds(30))
        #expect(monitor.status()[1].health == .healthy)
        let after = (0..<10).compactMap { _ in state.pick(for: RequestKey(clientAddress: "x")) }
        #expect(Set(after.map(\.id)) == ["10.0.0.1:1", "10.0.0.2:2"])
    }

    @Test func transitionsLogTheProbeAsText() {
        /// Keeps the `reason` of every "target health changed" line.
        final class Reasons: Sendable {
            private let storage = Mutex<[String]>([])
            var all: [String] { self.storage.withLock { $0 } }
            func append(_ reason: String) { self.storage.withLock { $0.append(reason) } }
        }
        struct Handler: LogHandler {
            let sink: Reasons
            var metadata: Logger.Metadata = [:]
            var logLevel: Logger.Level = .trace
            subscript(metadataKey key: String) -> Logger.Metadata.Value? {
                get { self.metadata[key] }
                set { self.metadata[key] = newValue }
            }
            func log(event: LogEvent) {
                if "\(event.message)" == "target health changed", let reason = event.metadata?["reason"] {
                    self.sink.append("\(reason)")
                }
            }
        }
        let loop = EmbeddedEventLoop()
        let prober = FakeProber(loop: loop)
        let reasons = Reasons()
        let group = TargetGroup(
            name: "web",
            targets: self.targets,
            healthCheck: HealthCheckSettings(kind: .http(path: "/"), interval: .seconds(30), timeout: .seconds(5))
        )
        let monitor = TargetGroupMonitor(group: group, home: loop, prober: prober, logger: Logger(label: "test") { _ in Handler(sink: reasons) })
        monitor.start()
        loop.run()
        prober.failing = ["10.0.0.2:2"]
        loop.advanceTime(by: .seconds(60))
        prober.failing = []
        loop.advanceTime(by: .seconds(60))
        #expect(reasons.all.contains("failed: connection refused"))
        #expect(reasons.all.contains("passed: status 200"))
        #expect(!reasons.all.contains { $0.contains("Optional") || $0.contains("(status:") }, "\(reasons.all)")
    }

    @Test func allUnhealthyFailsOpenByDefault() {
        let loop = EmbeddedEventLoop()
        let prober = FakeProber(loop: loop)
        prober.failing = ["10.0.0.1:1", "10.0.0.2:2"]
        let (monitor, state) = self.make(loop, prober: prober)
        monitor.start()
        loop.run()
        #expect(monitor.status().allSatisfy { $0.health == .unhealthy })
        #expect(state.pick(for: RequestKey(clientAddress: "x")) != nil)
    }

    @Test func consecutiveFailuresEjectATarget() {
        let loop = EmbeddedEventLoop()
        let group = TargetGroup(
            name: "web",
            targets: self.targets,
            outlierDetection: OutlierDetector.Settings(consecutiveFailures: 3, baseEjectionTime: .seconds(30), maxEjectionPercent: 50)
        )
        let monitor = TargetGroupMonitor(group: group, home: loop, prober: nil, logger: Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() }))
        let state = monitor.makeLoopState(on: loop)
        let bad = self.targets[1]
        for _ in 0..<3 {
            state.begin(bad)
            state.end(bad, success: false)
        }
        loop.run()
        #expect(monitor.status()[1].ejectedUntil != nil)
        let picks = (0..<6).compactMap { _ in state.pick(for: RequestKey(clientAddress: "x")) }
        #expect(Set(picks.map(\.id)) == ["10.0.0.1:1"])
    }
}
