import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import ProxyConfig
import ProxyCore
import ProxyDefaults

/// DNS service discovery of targets (docs/operations.md, decision 0032): one ``TargetDiscovery``
/// per target group with `dns:` or `srv:` entries.
extension ProxyServer {
    /// The resolvers of a configuration: `global.resolvers`, or `/etc/resolv.conf`'s (read
    /// here: blocking file I/O, so not on an event loop).
    static func resolverConfiguration(_ global: GlobalSettings) -> ResolverConfiguration {
        if !global.resolvers.isEmpty {
            return ResolverConfiguration(servers: global.resolvers.map { .init(host: $0.host, port: $0.port) })
        }
        let text = (try? String(contentsOfFile: Defaults.Discovery.resolvConfPath, encoding: .utf8)) ?? ""
        return ResolverConfiguration.parseResolvConf(text) { (try? SocketAddress(ipAddress: $0, port: 0)) != nil }
    }

    /// A discovery for every group of `configuration` that has DNS entries; those in `existing`
    /// (by group name) are kept and given their new entries and resolvers, the others made. Call
    /// inside the operation gate (a reload) or before start.
    func discoveries(for configuration: ProxyConfiguration, existing: [String: TargetDiscovery]) -> [String: TargetDiscovery] {
        let groups = configuration.targetGroups.filter { !$0.discovery.isEmpty }
        guard !groups.isEmpty else { return [:] }
        let resolver = DNSResolver(configuration: Self.resolverConfiguration(configuration.global), group: self.group)
        var result: [String: TargetDiscovery] = [:]
        for group in groups {
            if let kept = existing[group.name] {
                let staticIDs = Set(group.targets.map { BindAddress(host: $0.host, port: $0.port).description })
                kept.update(sources: group.discovery, resolver: resolver, staticIDs: staticIDs)
                result[group.name] = kept
                continue
            }
            let name = group.name
            let context = TargetDiscovery.Context(
                operations: self.operations,
                monitor: { [weak self] in self?.monitors.first { $0.group.name == name } },
                metrics: self.metrics,
                logger: self.logger
            )
            result[group.name] = TargetDiscovery(group: group.name, sources: group.discovery, resolver: resolver, context: context)
        }
        return result
    }

    /// Starts the discoveries not yet started and waits (up to
    /// ``Defaults/Discovery/startupWait``) for their first answers, so the targets are there
    /// before the listeners accept.
    func startDiscoveries(_ discoveries: [TargetDiscovery]) async {
        for discovery in discoveries { discovery.start() }
        let deadline = ContinuousClock.now + Defaults.Discovery.startupWait
        for discovery in discoveries {
            await discovery.waitForFirstRound(until: deadline)
        }
    }

    /// The runtime group of a configuration group whose monitor (`previous`) is being replaced,
    /// with the targets its discovery found so far (they keep their state through the carried
    /// statuses), but those an operator removed from `previous`.
    func targetGroupCarryingDiscovered(
        _ configuration: TargetGroupConfiguration,
        discovery: TargetDiscovery?,
        previous: TargetGroupMonitor?
    ) -> TargetGroup {
        var group = ListenerPlan.targetGroup(from: configuration)
        guard let discovery else { return group }
        let staticIDs = Set(group.targets.map(\.id))
        let present = previous.map { Set($0.status().map(\.target.id)) }
        for target in discovery.carriedTargets(excluding: staticIDs, present: present) {
            group.targets.append(
                Target(host: target.host, port: target.port, weight: target.weight, name: target.name, maxConnections: target.maxConnections)
            )
        }
        return group
    }
}

extension ProxyServer {
    /// The discovery of a target group, if it has DNS entries.
    func discovery(of group: String) -> TargetDiscovery? {
        self.state.withLockedValue { $0.discoveries[group] }
    }

    static func resolutionView(_ report: TargetDiscovery.Report) -> AdminModels.DNSResolution {
        let format = { (date: Date) in date.formatted(.iso8601) }
        let tried = report.at.timeIntervalSince1970 > 0
        return AdminModels.DNSResolution(
            source: report.source,
            resolvedAt: tried ? format(report.at) : nil,
            result: report.error ?? "ok",
            answer: report.answer,
            ttlSeconds: report.ttl,
            lastSuccessAt: report.lastSuccess.map(format),
            targetsCut: report.cut
        )
    }
}
