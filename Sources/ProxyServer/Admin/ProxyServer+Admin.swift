import CoreMetrics
import Foundation
import NIOConcurrencyHelpers
import NIOCore
import ProxyConfig
import ProxyCore

extension ProxyServer: AdminResponder {
    func respond(to request: AdminRequest) async -> AdminResponse {
        let route: AdminRoute
        switch AdminRoute.match(method: request.method, path: request.path) {
        case .success(let matched):
            route = matched
        case .failure(.notFound):
            return .problem(404, "no such endpoint: \(request.method) \(request.path) (see docs/admin-api.md)")
        case .failure(.methodNotAllowed(let allowed)):
            var response = AdminResponse.problem(405, "\(request.path) accepts \(allowed.joined(separator: ", "))")
            response.headers.append(("Allow", allowed.joined(separator: ", ")))
            return response
        }
        // The token the admin listener started with: a reload does not move the listener, so
        // it does not change who may use it either (both take a restart).
        if let token = self.state.withLockedValue({ $0.admin.token }), !route.isPublic,
            !Self.constantTimeEquals(request.authorization ?? "", "Bearer \(token)")
        {
            var response = AdminResponse.problem(401, "missing or wrong bearer token")
            response.headers.append(("WWW-Authenticate", "Bearer"))
            return response
        }
        do {
            return try await self.perform(route, body: request.body)
        } catch let error as TargetOperationError {
            switch error {
            case .unknownTarget: return .problem(404, error.description)
            case .alreadyRegistered: return .problem(409, error.description)
            case .invalid: return .problem(400, error.description)
            }
        } catch let error as AdminBadRequest {
            return .problem(400, error.message)
        } catch let error as AdminNotFound {
            return .problem(404, error.message)
        } catch let error as ReloadError {
            switch error {
            case .inProgress: return .problem(409, error.description)
            case .stopped: return .problem(503, error.description)
            case .noSource, .invalid, .failed: return .problem(422, error.description)
            }
        } catch {
            return .problem(500, "\(error)")
        }
    }

    private func perform(_ route: AdminRoute, body: [UInt8]) async throws -> AdminResponse {
        if let member = self.fleetLink.withLockedValue({ $0 }), let response = try await self.performInFleet(route, body: body, member: member) {
            return response
        }
        switch route {
        case .healthz:
            return .text(200, "ok\n")
        case .ready:
            return self.isReady ? .text(200, "ready\n") : .text(503, "not ready\n")
        case .metrics:
            await self.refreshGauges()
            return .text(200, self.metrics.emit(), contentType: "text/plain; version=0.0.4; charset=utf-8")
        case .config:
            return .json(200, ConfigurationJSON.render(self.configuration))
        case .status:
            return try Self.encode(await self.statusDocument())
        case .certificates:
            return try Self.encode(self.certificatesDocument())
        case .purgeCache(let query):
            return try Self.encode(try self.purgeCaches(query: query))
        case .fleet:
            throw AdminNotFound(message: "this instance is not in a fleet (start it with --etcd and --fleet)")
        case .reload:
            let summary = try await self.reload()
            return try Self.encode(AdminModels.Reloaded(reloaded: true, summary: summary))
        case .listTargets(let group):
            let monitor = try self.monitor(group)
            return try Self.encode(await self.targetViews(monitor))
        case .register(let group):
            let request = try Self.decode(AdminModels.RegisterRequest.self, body)
            let target = try Self.target(from: request)
            let monitor = try await self.operations.withExclusive {
                let monitor = try self.monitor(group)
                _ = try await monitor.register(target)
                return monitor
            }
            return try Self.encode(await self.view(of: target.id, in: monitor), status: 201)
        case .deregister(let group, let reference):
            let target = try await self.operations.withExclusive { try await self.monitor(group).deregister(reference) }
            return try Self.encode(AdminModels.Deregistered(deregistered: target.id))
        case .weight(let group, let reference):
            let request = try Self.decode(AdminModels.WeightRequest.self, body)
            let (monitor, status) = try await self.operations.withExclusive {
                let monitor = try self.monitor(group)
                return (monitor, try await monitor.setWeight(reference, weight: request.weight))
            }
            return try Self.encode(await self.view(of: status.target.id, in: monitor))
        case .drain(let group, let reference):
            let request = body.isEmpty ? AdminModels.DrainRequest() : try Self.decode(AdminModels.DrainRequest.self, body)
            let (monitor, status) = try await self.operations.withExclusive {
                let monitor = try self.monitor(group)
                return (monitor, try await monitor.drain(reference))
            }
            let started = ContinuousClock.now
            var outcome = "draining"
            var tunnelsClosed = 0
            var inFlight = await monitor.inFlight()[status.target.id] ?? 0
            if request.wait == true {
                let timeout = request.timeoutSeconds ?? 300
                guard timeout >= 0, timeout <= 86_400 else {
                    throw AdminBadRequest(message: "timeout_seconds must be in 0...86400")
                }
                switch try await monitor.waitUntilIdle(status.target.id, deadline: started + .milliseconds(Int64(timeout * 1000))) {
                case .drained:
                    outcome = "drained"
                    inFlight = 0
                case .timedOut(let remaining):
                    // Tunnels do not end by themselves: past the wait they are closed (plain
                    // requests are left to finish).
                    outcome = "timed_out"
                    tunnelsClosed = await self.closeTunnels(to: status.target.id)
                    inFlight = max(0, remaining - tunnelsClosed)
                }
            }
            let waited = started.duration(to: .now)
            return try Self.encode(
                AdminModels.DrainResult(
                    target: await self.view(of: status.target.id, in: monitor),
                    outcome: outcome,
                    inFlight: inFlight,
                    waitedSeconds: Double(waited.components.seconds) + Double(waited.components.attoseconds) / 1e18,
                    tunnelsClosed: tunnelsClosed
                )
            )
        case .attach(let group, let reference):
            let request = body.isEmpty ? AdminModels.AttachRequest() : try Self.decode(AdminModels.AttachRequest.self, body)
            let (monitor, status) = try await self.operations.withExclusive {
                let monitor = try self.monitor(group)
                return (monitor, try await monitor.attach(reference, immediately: request.immediately ?? false))
            }
            return try Self.encode(await self.view(of: status.target.id, in: monitor))
        case .recheck(let group, let reference):
            let (monitor, status) = try await self.operations.withExclusive {
                let monitor = try self.monitor(group)
                return (monitor, try await monitor.recheck(reference))
            }
            return try Self.encode(await self.view(of: status.target.id, in: monitor))
        }
    }

    // MARK: Documents

    func statusDocument() async -> AdminModels.Status {
        let (configuration, listeners, monitors, reloads, lastError, ready) = self.state.withLockedValue {
            ($0.configuration, $0.listeners, $0.monitors, $0.reloads, $0.lastReloadError, $0.ready)
        }
        let counts = self.registry.countsByListener()
        let http2 = self.metrics.http2OpenByListener()
        var groups: [AdminModels.TargetGroup] = []
        for monitor in monitors {
            let targets = await self.targetViews(monitor)
            let check = monitor.group.healthCheck.map { check -> String in
                switch check.kind {
                case .http(let path): "http \(path) every \(check.interval)"
                case .tcp: "tcp every \(check.interval)"
                case .grpc(let service): "grpc \(service.isEmpty ? "(server)" : service) every \(check.interval)"
                }
            }
            groups.append(
                AdminModels.TargetGroup(
                    name: monitor.group.name,
                    policy: configuration.targetGroup(named: monitor.group.name)?.policy.rawValue ?? "\(monitor.group.policy)",
                    healthCheck: check,
                    healthyTargets: targets.filter(\.serving).count,
                    targets: targets,
                    discovery: self.discovery(of: monitor.group.name)?.snapshot().reports.map(Self.resolutionView)
                )
            )
        }
        let uptime = self.startedAt.duration(to: .now)
        return AdminModels.Status(
            ready: ready,
            uptimeSeconds: Double(uptime.components.seconds),
            openConnections: self.registry.count,
            reloads: reloads,
            lastReloadError: lastError,
            listeners: listeners.map { listener in
                AdminModels.Listener(
                    name: listener.name,
                    address: Self.describe(listener.address, fallbackHost: listener.configuration.bind.host),
                    protocol: listener.configuration.protocol.rawValue,
                    openConnections: counts[listener.name] ?? 0,
                    http2Connections: http2[listener.name]?.connections ?? 0,
                    http2Streams: http2[listener.name]?.streams ?? 0,
                    routes: configuration.listeners.first { $0.name == listener.name }?.routes.map(\.name) ?? []
                )
            },
            targetGroups: groups
        )
    }

    func targetViews(_ monitor: TargetGroupMonitor) async -> [AdminModels.Target] {
        let inFlight = await monitor.inFlight()
        let origins = self.discovery(of: monitor.group.name)?.snapshot().origins ?? [:]
        return monitor.status().map { status in
            var view = Self.view(status, inFlight: inFlight[status.target.id] ?? 0)
            view.source = origins[status.target.id]
            return view
        }
    }

    func view(of id: String, in monitor: TargetGroupMonitor) async -> AdminModels.Target {
        let views = await self.targetViews(monitor)
        return views.first { $0.id == id } ?? AdminModels.Target(
            id: id, name: id, host: "", port: 0, weight: 0, state: "unknown", health: "unknown", serving: false,
            inFlight: 0, lastProbe: nil, consecutivePasses: 0, consecutiveFailures: 0, ejected: false, maxConnections: nil
        )
    }

    static func view(_ status: TargetStatus, inFlight: Int) -> AdminModels.Target {
        let probe = status.lastProbe?.description
        return AdminModels.Target(
            id: status.target.id,
            name: status.target.name,
            host: status.target.host,
            port: status.target.port,
            weight: status.target.weight,
            state: status.health.rawValue,
            health: status.checkHealth.rawValue,
            serving: status.isServing,
            inFlight: inFlight,
            lastProbe: probe,
            consecutivePasses: status.consecutivePasses,
            consecutiveFailures: status.consecutiveFailures,
            ejected: status.ejectedUntil != nil,
            maxConnections: status.target.maxConnections
        )
    }

    // MARK: Helpers

    func monitor(_ name: String) throws -> TargetGroupMonitor {
        guard let monitor = self.monitors.first(where: { $0.group.name == name }) else {
            let known = self.monitors.map { "\"\($0.group.name)\"" }.joined(separator: ", ")
            throw AdminNotFound(message: "no target group \"\(name)\" (target groups: \(known))")
        }
        return monitor
    }

    /// Compares without an early exit, so response time says nothing about the token.
    static func constantTimeEquals(_ first: String, _ second: String) -> Bool {
        let a = Array(first.utf8)
        let b = Array(second.utf8)
        var difference = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for index in 0..<max(a.count, b.count) {
            difference |= (index < a.count ? a[index] : 0) ^ (index < b.count ? b[index] : 0)
        }
        return difference == 0
    }

    static func target(from request: AdminModels.RegisterRequest) throws -> Target {
        let address: BindAddress
        switch BindAddress.parseTarget(request.address) {
        case .success(let parsed): address = parsed
        case .failure(let problem): throw AdminBadRequest(message: "address: \(problem.message)")
        }
        let weight = request.weight ?? 1
        guard (1...1000).contains(weight) else {
            throw AdminBadRequest(message: "weight must be an integer in 1...1000 (got \(weight))")
        }
        if let limit = request.maxConnections, limit < 1 {
            throw AdminBadRequest(message: "max_connections must be at least 1")
        }
        return Target(
            host: address.host,
            port: address.port,
            weight: weight,
            name: request.name,
            maxConnections: request.maxConnections
        )
    }

    static func decode<Value: Decodable>(_ type: Value.Type, _ body: [UInt8]) throws -> Value {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(type, from: Data(body))
        } catch DecodingError.keyNotFound(let key, _) {
            throw AdminBadRequest(message: "bad JSON body: missing \"\(ConfigurationJSON.snakeCase(key.stringValue))\"")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context) {
            let path = context.codingPath.map { ConfigurationJSON.snakeCase($0.stringValue) }.joined(separator: ".")
            throw AdminBadRequest(message: "bad JSON body: wrong type for \"\(path)\"")
        } catch {
            throw AdminBadRequest(message: "bad JSON body: expected a JSON object (see docs/admin-api.md)")
        }
    }

    static func encode<Value: Encodable>(_ value: Value, status: Int = 200) throws -> AdminResponse {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var data = try encoder.encode(value)
        data.append(UInt8(ascii: "\n"))
        return AdminResponse(status: status, contentType: "application/json", body: Array(data))
    }

    /// Gauges that are read, not counted: set just before each scrape.
    func refreshGauges() async {
        var gauges: [(label: String, dimensions: [(String, String)], value: Double)] = []
        let counts = self.registry.countsByListener()
        for listener in self.boundListeners {
            gauges.append(("portcullis_active_connections", [("listener", listener.name)], Double(counts[listener.name] ?? 0)))
        }
        for monitor in self.monitors {
            for status in monitor.status() {
                for state in ["healthy", "unhealthy", "unknown", "draining"] {
                    gauges.append((
                        "portcullis_target_health",
                        [("target_group", monitor.group.name), ("target", status.target.id), ("state", state)],
                        status.health.rawValue == state ? 1 : 0
                    ))
                }
            }
        }
        var idle = 0
        var open = 0
        for loop in self.loops.values {
            let counts = try? await loop.eventLoop.submit { (loop.pool.idleTotal, loop.pool.openConnections) }.get()
            idle += counts?.0 ?? 0
            open += counts?.1 ?? 0
        }
        gauges.append(("portcullis_upstream_pool_connections", [("state", "idle")], Double(idle)))
        gauges.append(("portcullis_upstream_pool_connections", [("state", "open")], Double(open)))
        gauges.append(("portcullis_access_log_dropped_lines", [], Double(self.accessLog.droppedLines)))
        gauges += self.certificateGauges()
        gauges += self.cacheGauges()
        self.metrics.replaceGauges(gauges)
    }
}

struct AdminBadRequest: Error {
    var message: String
}

struct AdminNotFound: Error {
    var message: String
}

extension ProxyServer {
    /// Closes every tunnel to `targetID` on every event loop; returns how many.
    func closeTunnels(to targetID: String) async -> Int {
        var closed = 0
        for loop in self.loops.values {
            closed += (try? await loop.eventLoop.submit { loop.closeTunnels(to: targetID) }.get()) ?? 0
        }
        return closed
    }
}
