import Logging
import NIOConcurrencyHelpers
import NIOCore
import ProxyConfig
import ProxyCore

extension ProxyServer {
    /// Starts evaluating the scaling rules of `configuration` (replacing the rules running
    /// before, whose state is dropped).
    func startScaling(_ configuration: ProxyConfiguration) {
        let supervisor = ScalingSupervisor(
            targetGroups: configuration.targetGroups,
            sample: { [weak self] in await self?.scalingSamples() ?? [:] },
            logger: self.logger
        )
        let tracking = supervisor.hasRules
        for loop in self.loops.values {
            guard let observer = loop.observer as? LoopObserver else { continue }
            loop.eventLoop.execute { observer.tracksGroupTraffic = tracking }
        }
        let task: Task<Void, Never>? = tracking ? Task { await supervisor.run() } : nil
        let previous = self.state.withLockedValue { state in
            defer { state.scalingTask = task }
            return state.scalingTask
        }
        previous?.cancel()
    }

    func stopScaling() {
        let task = self.state.withLockedValue { state in
            defer { state.scalingTask = nil }
            return state.scalingTask
        }
        task?.cancel()
    }

    /// What scaling rules see: per target group, completed requests and their latencies
    /// (summed over every event loop), targets, serving targets and requests in flight.
    func scalingSamples() async -> [String: ScalingSample] {
        var traffic: [String: GroupTraffic] = [:]
        for loop in self.loops.values {
            guard let observer = loop.observer as? LoopObserver else { continue }
            let perLoop = (try? await loop.eventLoop.submit { observer.groupTraffic }.get()) ?? [:]
            for (group, counts) in perLoop {
                traffic[group, default: GroupTraffic()].add(counts)
            }
        }
        var samples: [String: ScalingSample] = [:]
        for monitor in self.monitors {
            let statuses = monitor.status()
            let inFlight = await monitor.inFlight().values.reduce(0, +)
            let counts = traffic[monitor.group.name] ?? GroupTraffic()
            samples[monitor.group.name] = ScalingSample(
                completedRequests: counts.completedRequests,
                latencyBucketCounts: counts.latencyBucketCounts,
                targets: statuses.count,
                healthyTargets: statuses.filter(\.isServing).count,
                inFlight: inFlight
            )
        }
        return samples
    }
}
