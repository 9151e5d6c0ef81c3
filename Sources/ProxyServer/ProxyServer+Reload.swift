import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
public import ProxyConfig
import ProxyCore
import ProxyDefaults

/// What a reload changed.
public struct ReloadSummary: Sendable, Codable, Equatable {
    public var listenersAdded: [String] = []
    public var listenersRemoved: [String] = []
    public var listenersUpdated: [String] = []
    public var targetGroupsAdded: [String] = []
    public var targetGroupsRemoved: [String] = []
    public var targetGroupsReplaced: [String] = []
    /// Settings that only take effect on restart (event loops, the admin listener).
    public var needsRestart: [String] = []
}

/// Why a reload changed nothing.
public enum ReloadError: Error, CustomStringConvertible {
    /// The server has no way to read its configuration again.
    case noSource
    /// Another reload is running.
    case inProgress
    /// The new configuration is invalid; every problem is in the message.
    case invalid(String)
    /// The new configuration is valid but could not be applied (a certificate, a bind).
    case failed(String)
    /// The server is shutting down.
    case stopped

    public var description: String {
        switch self {
        case .noSource: "this server was started without a configuration file to reload"
        case .inProgress: "a reload is already in progress"
        case .invalid(let message): message
        case .failed(let message): message
        case .stopped: "the server is shutting down"
        }
    }
}

extension ProxyServer {
    /// Names for a log line: `a,b`, or `-` for none (not Swift's `["a", "b"]`).
    static func names(_ names: [String]) -> String {
        names.isEmpty ? "-" : names.joined(separator: ",")
    }

    /// Reads the configuration again and applies it (see ``apply(_:committed:)``). An invalid
    /// file changes nothing. The source is read while the reload is claimed: a fleet revision
    /// being applied (which writes the source, the local copy, before it lets go) is never
    /// undone by a reload that read the source before it.
    @discardableResult
    public func reload() async throws -> ReloadSummary {
        guard let source = self.configurationSource else {
            throw ReloadError.noSource
        }
        return try await self.whileReloading {
            let configuration: ProxyConfiguration
            do {
                configuration = try source()
            } catch {
                self.recordReloadFailure("\(error)")
                throw ReloadError.invalid("\(error)")
            }
            return try await self.applyClaimed(configuration)
        }
    }

    /// Applies a validated configuration in place:
    ///
    /// - certificates are read again and every new TLS context is built first; any failure
    ///   changes nothing;
    /// - listeners are added, removed, or re-bound when their address or protocol changed; the
    ///   others keep their socket;
    /// - target groups whose settings are unchanged keep their monitor (and runtime changes made
    ///   through the admin API); the others get a new monitor that keeps the health and drain
    ///   state of the targets that remain;
    /// - every event loop swaps its target groups at once, and every open connection takes the
    ///   new routes for its next request. A request in flight on an unchanged route (same rules,
    ///   same target group settings) goes on and its connection stays open; on a changed route
    ///   the connection closes after that response.
    ///
    /// `committed` runs once it applied, before another reload can start (the fleet writes its
    /// local copy there, so a reload re-reads the revision just applied).
    @discardableResult
    public func apply(_ configuration: ProxyConfiguration, committed: (() -> Void)? = nil) async throws -> ReloadSummary {
        try await self.whileReloading {
            let summary = try await self.applyClaimed(configuration)
            committed?()
            return summary
        }
    }

    /// Runs `body` as the only reload (another at the same time: ``ReloadError/inProgress``).
    private func whileReloading<Value>(_ body: () async throws -> Value) async throws -> Value {
        let busy = self.reloading.withLockedValue { reloading -> Bool in
            defer { reloading = true }
            return reloading
        }
        guard !busy else { throw ReloadError.inProgress }
        defer { self.reloading.withLockedValue { $0 = false } }
        return try await body()
    }

    private func applyClaimed(_ configuration: ProxyConfiguration) async throws -> ReloadSummary {
        do {
            let summary = try await self.operations.withExclusive { try await self.applyExclusively(configuration) }
            self.state.withLockedValue {
                $0.reloads += 1
                $0.lastReloadError = nil
            }
            self.certificatesChanged()
            self.logger.notice(
                "configuration reloaded",
                metadata: [
                    "listeners_added": "\(Self.names(summary.listenersAdded))",
                    "listeners_removed": "\(Self.names(summary.listenersRemoved))",
                    "target_groups_replaced": "\(Self.names(summary.targetGroupsReplaced))",
                    "target_groups_added": "\(Self.names(summary.targetGroupsAdded))",
                    "target_groups_removed": "\(Self.names(summary.targetGroupsRemoved))",
                ]
            )
            return summary
        } catch let error as ReloadError {
            self.recordReloadFailure(error.description)
            throw error
        } catch {
            self.recordReloadFailure("\(error)")
            throw ReloadError.failed("\(error)")
        }
    }

    private func recordReloadFailure(_ message: String) {
        self.state.withLockedValue { $0.lastReloadError = message }
        self.logger.error("reload failed; the running configuration is unchanged", metadata: ["error": "\(message)"])
    }

    private func applyExclusively(_ new: ProxyConfiguration) async throws -> ReloadSummary {
        let (old, oldListeners, oldMonitors, stopped, oldDiscoveries) = self.state.withLockedValue {
            ($0.configuration, $0.listeners, $0.monitors, $0.stopped, $0.discoveries)
        }
        guard !stopped else { throw ReloadError.stopped }
        Self.logWarnings(of: new, logger: self.logger)
        var summary = ReloadSummary()
        if new.global.eventLoops != old.global.eventLoops { summary.needsRestart.append("global.event_loops") }
        if new.admin != old.admin { summary.needsRestart.append("admin") }
        if new.global.logLevel != old.global.logLevel { summary.needsRestart.append("global.log_level") }

        // 1. Certificates and TLS contexts, before anything changes (binds and the access log
        //    follow in step 3, undone if they fail).
        let plans = try ListenerPlan.make(from: new, previous: oldListeners.map(\.plan), staples: self.staples, acme: self.acmeChallenges)
        let accessLogSettings = Self.accessLogSettings(new.global)

        // 2. Target groups: keep, replace (carrying health over) or add.
        var monitors: [TargetGroupMonitor] = []
        var fresh: [TargetGroupMonitor] = []
        for groupConfiguration in new.targetGroups {
            let previous = oldMonitors.first { $0.group.name == groupConfiguration.name }
            let previousConfiguration = old.targetGroup(named: groupConfiguration.name)
            if let previous, let previousConfiguration, Self.sameTraffic(previousConfiguration, groupConfiguration) {
                monitors.append(previous)
                continue
            }
            let monitor = TargetGroupMonitor(
                group: self.targetGroupCarryingDiscovered(
                    groupConfiguration,
                    discovery: groupConfiguration.discovery.isEmpty ? nil : oldDiscoveries[groupConfiguration.name],
                    previous: previous
                ),
                home: self.group.next(),
                prober: self.prober,
                logger: self.logger,
                carryingOver: previous?.status() ?? [],
                predecessor: previous
            )
            for loop in self.loops.values {
                _ = monitor.makeLoopState(on: loop.eventLoop)
            }
            monitors.append(monitor)
            fresh.append(monitor)
            if previous == nil {
                summary.targetGroupsAdded.append(groupConfiguration.name)
            } else {
                summary.targetGroupsReplaced.append(groupConfiguration.name)
            }
        }
        let retired = oldMonitors.filter { old in !monitors.contains { $0 === old } }
        summary.targetGroupsRemoved = retired.map(\.group.name).filter { name in !new.targetGroups.contains { $0.name == name } }

        // 3. Listeners: bind the new ones first, so a bind failure changes nothing.
        var listeners: [RunningListener] = []
        var bound: [RunningListener] = []
        var kept: [(RunningListener, ListenerPlan, ListenerConfiguration)] = []
        /// Old sockets closed before their address could be bound again (a renamed listener,
        /// http ↔ https on the same port): reopened if the reload fails.
        var closedEarly: [RunningListener] = []
        do {
            for (plan, listenerConfiguration) in zip(plans, new.listeners) {
                if let existing = oldListeners.first(where: { $0.name == plan.name }), existing.canKeepSocket(for: listenerConfiguration) {
                    listeners.append(existing)
                    kept.append((existing, plan, listenerConfiguration))
                    continue
                }
                // The address is still held by a listener that goes away: it stops accepting
                // first (connections it accepted go on), for the moment the new bind takes.
                var rebinding = false
                for old in oldListeners
                where Self.overlap(old.configuration.bind, listenerConfiguration.bind)
                    && !closedEarly.contains(where: { $0 === old }) && !listeners.contains(where: { $0 === old })
                {
                    old.ticketRotation.withLockedValue { $0?.cancel() }
                    await old.close()
                    closedEarly.append(old)
                    rebinding = true
                }
                let listener = try await self.bind(
                    plan,
                    configuration: listenerConfiguration,
                    whileAddressInUse: rebinding ? Defaults.Listener.rebindWait : .zero
                )
                listeners.append(listener)
                bound.append(listener)
                summary.listenersAdded.append(plan.name)
            }
            // Last step that can fail: after it, nothing is undone.
            try self.accessLog.configure(accessLogSettings)
        } catch {
            for listener in bound {
                listener.ticketRotation.withLockedValue { $0?.cancel() }
                await listener.close()
            }
            for old in closedEarly {
                guard let reopened = try? await self.bind(old.plan, configuration: old.configuration, whileAddressInUse: Defaults.Listener.rebindWait) else {
                    self.logger.error("cannot reopen a listener after a failed reload", metadata: ["listener": "\(old.name)"])
                    continue
                }
                self.state.withLockedValue { state in
                    state.listeners = state.listeners.map { $0 === old ? reopened : $0 }
                }
            }
            throw ReloadError.failed(error is AccessLogError ? "\(error)" : "cannot bind: \(error)")
        }

        // 4. Commit. Each loop swaps its target groups in one step.
        for loop in self.loops.values {
            let states = monitors.compactMap { $0.loopState(on: loop.eventLoop) }
            try? await loop.eventLoop.submit { loop.replaceTargetGroups(states) }.get()
        }
        for monitor in fresh { monitor.start() }
        for monitor in retired { monitor.stop() }
        // DNS discovery: kept ones take the new entries; new ones start (their first answers
        // come once this reload has released the operation gate).
        let discoveries = self.discoveries(for: new, existing: oldDiscoveries)
        for (name, discovery) in oldDiscoveries where discoveries[name] == nil { discovery.stop() }
        for (name, discovery) in discoveries where oldDiscoveries[name] == nil { discovery.start() }
        let removed = oldListeners.filter { old in !listeners.contains { $0 === old } }
        self.state.withLockedValue { state in
            state.configuration = new
            state.listeners = listeners
            state.monitors = monitors
            state.discoveries = discoveries
            state.initialPlans = nil  // built from the configuration replaced
        }

        self.startScaling(new)
        self.startACME(new, plans: plans)

        // 5. Open connections of kept listeners learn the new settings.
        for (listener, plan, listenerConfiguration) in kept {
            listener.replacePlan(plan)
            self.scheduleTicketRotation(listener)
            let unchanged = Self.unchangedRoutes(
                old: old.listeners.first { $0.name == listener.name },
                new: listenerConfiguration,
                oldConfiguration: old,
                newConfiguration: new
            )
            if unchanged.count != listenerConfiguration.routes.count || old.listeners.first(where: { $0.name == listener.name }) != listenerConfiguration {
                summary.listenersUpdated.append(listener.name)
            }
            let event = ListenerReloadedEvent(settings: plan.settings, unchangedRoutes: unchanged)
            for channel in self.registry.channels(acceptedBy: listener.socketID) {
                channel.pipeline.fireUserInboundEventTriggered(event)
            }
        }

        // 6. Removed (or re-bound) listeners stop accepting; their connections finish the
        //    request in flight and close.
        for listener in removed {
            listener.ticketRotation.withLockedValue { $0?.cancel() }
            await listener.close()
            for channel in self.registry.channels(acceptedBy: listener.socketID) {
                channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
            }
            if !new.listeners.contains(where: { $0.name == listener.name }) {
                summary.listenersRemoved.append(listener.name)
            }
            self.logger.info("listener stopped", metadata: ["listener": "\(listener.name)"])
        }
        return summary
    }

    /// Whether binding both addresses at once would fail: the same port, and the same host or a
    /// wildcard. Port 0 never overlaps.
    static func overlap(_ first: BindAddress, _ second: BindAddress) -> Bool {
        guard first.port == second.port, first.port != 0 else { return false }
        let wildcards: Set<String> = ["0.0.0.0", "::", "*", ""]
        return first.host == second.host || wildcards.contains(first.host) || wildcards.contains(second.host)
    }

    /// Whether two configurations of a target group send traffic the same way: scaling rules
    /// aside (they only watch), so editing a threshold keeps the group's monitor and runtime
    /// changes.
    static func sameTraffic(_ first: TargetGroupConfiguration, _ second: TargetGroupConfiguration) -> Bool {
        var first = first
        var second = second
        first.scaling = []
        second.scaling = []
        return first == second
    }

    /// Names of the routes of a listener whose rules and target group settings (targets aside:
    /// those changes keep connections) are the same in both configurations.
    static func unchangedRoutes(
        old: ListenerConfiguration?,
        new: ListenerConfiguration,
        oldConfiguration: ProxyConfiguration,
        newConfiguration: ProxyConfiguration
    ) -> Set<String> {
        guard let old else { return [] }
        var result: Set<String> = []
        for route in new.routes {
            // The same rules: where the route is written in the file does not matter.
            guard var previous = old.routes.first(where: { $0.name == route.name }) else { continue }
            previous.line = route.line
            guard previous == route else { continue }
            if case .forward(let name) = route.action {
                guard var before = oldConfiguration.targetGroup(named: name), var after = newConfiguration.targetGroup(named: name) else {
                    continue
                }
                before.targets = []
                after.targets = []
                before.discovery = []
                after.discovery = []
                guard Self.sameTraffic(before, after) else { continue }
            }
            result.insert(route.name)
        }
        return result
    }
}
