import Logging
import NIOConcurrencyHelpers
import ProxyConfig
import ProxyCore
import ProxyServer
import Testing

/// The supervisor on a fake clock (each tick's `now` is given), with fake samples and a fake hook runner.
@Suite struct ScalingSupervisorTests {
    /// What the fake sampler returns; tests change it between ticks.
    private final class Samples: Sendable {
        private let box = NIOLockedValueBox<[String: ScalingSample]>([:])

        var current: [String: ScalingSample] {
            get { self.box.withLockedValue { $0 } }
            set { self.box.withLockedValue { $0 = newValue } }
        }
    }

    private static func group(_ name: String, rules: [ScalingRuleConfiguration]) -> TargetGroupConfiguration {
        var group = TargetGroupConfiguration(name: name, targets: [TargetConfiguration(host: "127.0.0.1", port: 8080)])
        group.scaling = rules
        return group
    }

    private static let scaleOut = ScalingRuleConfiguration(
        name: "scale-out",
        condition: ScalingCondition(metric: .requestsPerTargetPerSecond, comparison: .greaterThan, threshold: 200),
        holdFor: .seconds(2),
        exec: "/usr/local/bin/add-host web",
        webhook: WebhookURL(host: "127.0.0.1", port: 9000, path: "/scale")
    )

    @Test func aRuleFiresOncePerCrossing() async throws {
        let samples = Samples()
        let hooks = RecordingHookRunner()
        let log = RecordingLog()
        let supervisor = ScalingSupervisor(
            targetGroups: [Self.group("web", rules: [Self.scaleOut]), Self.group("api", rules: [])],
            sample: { samples.current },
            hooks: hooks,
            logger: log.logger,
            wallClock: { 1_700_000_000 }
        )
        #expect(supervisor.hasRules)
        // 250 requests per second on each of 2 targets from t = 1 s on.
        for second in 0...10 {
            samples.current = [
                "web": ScalingSample(completedRequests: UInt64(second * 500), targets: 2, healthyTargets: 2),
                "api": ScalingSample(completedRequests: UInt64(second * 10_000), targets: 1, healthyTargets: 1),
            ]
            let firings = await supervisor.tick(now: .seconds(second))
            #expect(firings.count == (second == 3 ? 1 : 0), "at \(second) s")
        }
        #expect(hooks.firings.count == 1)
        let firing = try #require(hooks.firings.first)
        #expect(
            firing
                == ScalingFiring(
                    targetGroup: "web",
                    rule: "scale-out",
                    condition: "requests_per_target_per_second > 200 for 2s",
                    metric: "requests_per_target_per_second",
                    value: 250,
                    threshold: 200,
                    targets: 2,
                    healthyTargets: 2,
                    firedAt: 1_700_000_000,
                    exec: "/usr/local/bin/add-host web",
                    webhook: WebhookURL(host: "127.0.0.1", port: 9000, path: "/scale")
                )
        )
        let notices = log.lines.filter { $0.level == .notice }
        #expect(notices.map(\.message) == ["scaling rule fired"])
        #expect(notices.first?.metadata["target_group"] == "web")
        #expect(notices.first?.metadata["rule"] == "scale-out")
        #expect(notices.first?.metadata["value"] == "250")
    }

    @Test func healthyTargetsNeedNoBaselineAndMissingGroupsAreSkipped() async {
        let samples = Samples()
        let hooks = RecordingHookRunner()
        let short = ScalingRuleConfiguration(
            name: "short",
            condition: ScalingCondition(metric: .healthyTargets, comparison: .lessThan, threshold: 2),
            exec: "true"
        )
        let supervisor = ScalingSupervisor(
            targetGroups: [Self.group("web", rules: [short])],
            sample: { samples.current },
            hooks: hooks,
            logger: RecordingLog().logger
        )
        samples.current = [:]
        #expect(await supervisor.tick(now: .seconds(0)).isEmpty)
        samples.current = ["web": ScalingSample(targets: 3, healthyTargets: 1)]
        #expect(await supervisor.tick(now: .seconds(1)).map(\.rule) == ["short"])
        samples.current = ["web": ScalingSample(targets: 3, healthyTargets: 2)]  // re-arms at 2
        #expect(await supervisor.tick(now: .seconds(2)).isEmpty)
        samples.current = ["web": ScalingSample(targets: 3, healthyTargets: 1)]
        #expect(await supervisor.tick(now: .seconds(3)).isEmpty)  // cooldown: 300 s by default
        #expect(await supervisor.tick(now: .seconds(301)).map(\.rule) == ["short"])
        #expect(hooks.firings.count == 2)
    }

    @Test func latencyRulesWaitOutIdleWindows() async {
        let samples = Samples()
        let hooks = RecordingHookRunner()
        let slow = ScalingRuleConfiguration(
            name: "slow",
            condition: ScalingCondition(metric: .p95Latency, comparison: .greaterThan, threshold: 500),
            holdFor: .seconds(2),
            webhook: WebhookURL(host: "127.0.0.1", port: 9000)
        )
        let supervisor = ScalingSupervisor(
            targetGroups: [Self.group("web", rules: [slow])],
            sample: { samples.current },
            hooks: hooks,
            logger: RecordingLog().logger
        )
        var slowRequests: UInt64 = 0
        func sample(adding count: UInt64) -> [String: ScalingSample] {
            slowRequests += count
            var buckets = [UInt64](repeating: 0, count: ScalingSample.latencyBucketBoundsMilliseconds.count + 1)
            buckets[9] = slowRequests  // (500, 1000] ms
            return ["web": ScalingSample(completedRequests: slowRequests, latencyBucketCounts: buckets, targets: 1, healthyTargets: 1)]
        }
        let script: [(second: Int, newRequests: UInt64)] = [(0, 5), (1, 5), (2, 0), (3, 0), (4, 0), (5, 5)]
        var fired: [Int] = []
        for step in script {
            samples.current = sample(adding: step.newRequests)
            if await !supervisor.tick(now: .seconds(step.second)).isEmpty {
                fired.append(step.second)
            }
        }
        // Pending from 1 s; the idle windows at 2–4 s neither break nor complete the streak.
        #expect(fired == [5])
        #expect(hooks.firings.first.map { $0.value > 500 && $0.value <= 1000 } == true)
    }

    @Test func runTicksUntilCancelled() async throws {
        let hooks = RecordingHookRunner()
        let ticks = NIOLockedValueBox(0)
        let short = ScalingRuleConfiguration(
            name: "short",
            condition: ScalingCondition(metric: .healthyTargets, comparison: .lessThan, threshold: 2),
            exec: "true"
        )
        let supervisor = ScalingSupervisor(
            targetGroups: [Self.group("web", rules: [short])],
            sample: {
                ticks.withLockedValue { $0 += 1 }
                return ["web": ScalingSample(targets: 2, healthyTargets: 0)]
            },
            interval: .milliseconds(10),
            hooks: hooks,
            logger: RecordingLog().logger
        )
        let task = Task { await supervisor.run() }
        for _ in 0..<500 where ticks.withLockedValue({ $0 }) < 5 {
            try await Task.sleep(for: .milliseconds(10))
        }
        task.cancel()
        await task.value
        #expect(ticks.withLockedValue { $0 } >= 5)
        #expect(hooks.firings.count == 1)
    }

    @Test func withoutRulesRunReturnsAtOnce() async {
        let supervisor = ScalingSupervisor(
            targetGroups: [Self.group("web", rules: [])],
            sample: { [:] },
            logger: RecordingLog().logger
        )
        #expect(!supervisor.hasRules)
        await supervisor.run()
    }
}
