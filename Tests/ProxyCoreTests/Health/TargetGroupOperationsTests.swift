import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import Testing

@testable import ProxyCore

/// Operator changes to a running target group: drain (with wait), attach, register, deregister,
/// weight, recheck, and the carry-over of state when a reload replaces the monitor. On one real
/// event loop, since every operation hops to the monitor's home loop.
struct TargetGroupOperationsTests {
    private static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })
    private let targets = [Target(host: "10.0.0.1", port: 1, name: "a"), Target(host: "10.0.0.2", port: 2, name: "b")]

    private func make(
        _ loop: any EventLoop,
        healthCheck: Bool = true,
        prober: any HealthProber = PassingProber()
    ) -> (TargetGroupMonitor, TargetGroupLoopState) {
        let group = TargetGroup(
            name: "web",
            targets: self.targets,
            healthCheck: healthCheck
                ? HealthCheckSettings(kind: .http(path: "/"), interval: .seconds(30), timeout: .seconds(5), healthyThreshold: 2, unhealthyThreshold: 2)
                : nil
        )
        let monitor = TargetGroupMonitor(group: group, home: loop, prober: prober, logger: Self.logger)
        return (monitor, monitor.makeLoopState(on: loop))
    }

    private func picks(_ state: TargetGroupLoopState, on loop: any EventLoop) async throws -> Set<String> {
        try await loop.submit {
            Set((0..<20).compactMap { _ in state.pick(for: RequestKey(clientAddress: "x"))?.id })
        }.get()
    }

    private func withLoop(_ body: (any EventLoop) async throws -> Void) async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await body(group.next())
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try await group.shutdownGracefully()
    }

    @Test func drainTakesATargetOutAndWaitReturnsWhenInFlightReachesZero() async throws {
        try await self.withLoop { loop in
            let (monitor, state) = self.make(loop, healthCheck: false)
            let target = self.targets[0]
            try await loop.submit { state.begin(target) }.get()

            let drained = try await monitor.drain("a")
            #expect(drained.health == .draining)
            #expect(try await self.picks(state, on: loop) == ["10.0.0.2:2"])

            // One request still in flight: the wait ends at its deadline and says so.
            let early = try await monitor.waitUntilIdle("a", deadline: .now + .milliseconds(100))
            #expect(early == .timedOut(inFlight: 1))

            // It finishes while we wait: the wait returns drained, not at the deadline.
            loop.scheduleTask(in: .milliseconds(150)) { state.end(target, success: true) }
            let started = ContinuousClock.now
            let outcome = try await monitor.waitUntilIdle("a", deadline: .now + .seconds(10))
            #expect(outcome == .drained)
            #expect(started.duration(to: .now) < .seconds(5))
            #expect(await monitor.inFlight()["10.0.0.1:1"] == nil)
        }
    }

    @Test func attachWaitsForFreshPassesUnlessAskedToServeAtOnce() async throws {
        try await self.withLoop { loop in
            // b's probes fail until the gate opens: no race with the rechecks below.
            let prober = GatedProber(failing: "10.0.0.2:2")
            let (monitor, state) = self.make(loop, prober: prober)
            monitor.start()
            _ = try await monitor.drain("b")
            let attached = try await monitor.attach("b", immediately: false)
            #expect(attached.health == .unhealthy)  // needs healthy_threshold (2) fresh passes
            #expect(try await self.picks(state, on: loop) == ["10.0.0.1:1"])
            prober.open()
            // Rechecks come every second (not every 30 s interval) until it passes.
            try await self.eventually { monitor.status()[1].health == .healthy }
            #expect(try await self.picks(state, on: loop) == ["10.0.0.1:1", "10.0.0.2:2"])

            _ = try await monitor.drain("b")
            let now = try await monitor.attach("b", immediately: true)
            #expect(now.health == .healthy)
            #expect(try await self.picks(state, on: loop) == ["10.0.0.1:1", "10.0.0.2:2"])
            monitor.stop()
        }
    }

    @Test func recheckKeepsADrainedTargetDrainedWhileItsHealthIsProvedAgain() async throws {
        try await self.withLoop { loop in
            let (monitor, _) = self.make(loop)
            monitor.start()
            _ = try await monitor.drain("a")
            let rechecked = try await monitor.recheck("a")
            #expect(rechecked.health == .draining)
            #expect(rechecked.checkHealth == .unhealthy)
            try await self.eventually { monitor.status()[0].checkHealth == .healthy }
            #expect(monitor.status()[0].health == .draining)
            monitor.stop()
        }
    }

    @Test func registerDeregisterAndWeight() async throws {
        try await self.withLoop { loop in
            let (monitor, state) = self.make(loop)
            monitor.start()
            let added = try await monitor.register(Target(host: "10.0.0.3", port: 3, weight: 2))
            #expect(added.health == .unhealthy)  // added while running: must pass first
            try await self.eventually { monitor.status().count == 3 && monitor.status()[2].health == .healthy }
            #expect(try await self.picks(state, on: loop).contains("10.0.0.3:3"))

            await #expect(throws: TargetOperationError.alreadyRegistered(group: "web", target: "10.0.0.3:3")) {
                try await monitor.register(Target(host: "10.0.0.3", port: 3))
            }
            await #expect(throws: TargetOperationError.unknownTarget(group: "web", target: "nope")) {
                try await monitor.drain("nope")
            }
            await #expect(throws: TargetOperationError.self) {
                try await monitor.setWeight("a", weight: 0)
            }
            let weighted = try await monitor.setWeight("a", weight: 7)
            #expect(weighted.target.weight == 7)
            #expect(monitor.status()[0].target.weight == 7)

            let removed = try await monitor.deregister("10.0.0.3:3")
            #expect(removed.id == "10.0.0.3:3")
            #expect(monitor.status().map(\.target.id) == ["10.0.0.1:1", "10.0.0.2:2"])
            #expect(!(try await self.picks(state, on: loop).contains("10.0.0.3:3")))
            monitor.stop()
        }
    }

    @Test func aReplacementMonitorKeepsHealthAndDrainingOfTargetsThatRemain() async throws {
        try await self.withLoop { loop in
            let (monitor, _) = self.make(loop)
            monitor.start()
            try await self.eventually { monitor.status().allSatisfy { $0.health == .healthy } }
            _ = try await monitor.drain("b")
            monitor.stop()

            let reloaded = TargetGroup(
                name: "web",
                targets: [self.targets[1], Target(host: "10.0.0.9", port: 9)],
                healthCheck: HealthCheckSettings(kind: .tcp, interval: .seconds(30), timeout: .seconds(5))
            )
            let next = TargetGroupMonitor(
                group: reloaded,
                home: loop,
                prober: PassingProber(),
                logger: Self.logger,
                carryingOver: monitor.status()
            )
            let statuses = next.status()
            #expect(statuses[0].health == .draining)  // kept
            #expect(statuses[0].checkHealth == .healthy)
            #expect(statuses[1].health == .unknown)  // new from the file: serves until its first probe
        }
    }

    @Test func aReplacementMonitorCountsTheRequestsItsPredecessorStarted() async throws {
        try await self.withLoop { loop in
            let (monitor, state) = self.make(loop, healthCheck: false)
            let target = self.targets[0]
            try await loop.submit { state.begin(target) }.get()
            let next = TargetGroupMonitor(
                group: monitor.group,
                home: loop,
                prober: nil,
                logger: Self.logger,
                carryingOver: monitor.status(),
                predecessor: monitor
            )
            _ = next.makeLoopState(on: loop)
            #expect(await next.inFlight()["10.0.0.1:1"] == 1)  // started before the reload
            #expect(try await next.waitUntilIdle("a", deadline: .now + .milliseconds(50)) == .timedOut(inFlight: 1))
            try await loop.submit { state.end(target, success: true) }.get()
            #expect(try await next.waitUntilIdle("a", deadline: .now + .seconds(5)) == .drained)
        }
    }

    private func eventually(_ condition: @escaping @Sendable () -> Bool) async throws {
        let deadline = ContinuousClock.now + .seconds(10)
        while !condition() {
            guard ContinuousClock.now < deadline else {
                Issue.record("condition not met within 10 s")
                return
            }
            try await Task.sleep(for: .milliseconds(20))
        }
    }
}

/// Every probe passes.
/// Fails the probes of one target until ``open()``; passes every other probe.
final class GatedProber: HealthProber, @unchecked Sendable {
    private let lock = NIOLock()
    private var failing: String?

    init(failing targetID: String) {
        self.failing = targetID
    }

    func open() {
        self.lock.withLock { self.failing = nil }
    }

    func probe(_ target: Target, settings: HealthCheckSettings, on eventLoop: any EventLoop) -> EventLoopFuture<ProbeResult> {
        let fails = self.lock.withLock { self.failing == target.id }
        return eventLoop.makeSucceededFuture(fails ? .failed(reason: .refused) : .passed(status: 200))
    }
}

struct PassingProber: HealthProber {
    func probe(_ target: Target, settings: HealthCheckSettings, on eventLoop: any EventLoop) -> EventLoopFuture<ProbeResult> {
        eventLoop.makeSucceededFuture(.passed(status: 200))
    }
}
