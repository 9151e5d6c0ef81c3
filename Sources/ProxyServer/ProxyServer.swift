public import Logging
import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix
public import ProxyConfig
public import ProxyCore
import ProxyDefaults
import ProxyTLS
public import ServiceLifecycle

/// The composition root: turns a validated configuration into listening sockets, upstream pools
/// and pipelines, and runs them until a graceful shutdown.
///
/// Owns the event loop group (one loop per core unless configured), one ``UpstreamPool`` per
/// loop, one ``TargetGroupMonitor`` per target group, the admin API, and every socket. As a
/// `Service`, on SIGTERM/SIGINT (through its `ServiceGroup`) it fails `/ready`, waits
/// `global.shutdown_delay`, stops accepting, lets requests in flight finish up to
/// `global.shutdown_grace`, then closes what is left. A reload (``reload()``, SIGHUP,
/// `POST /reload`) applies a new configuration in place.
public final class ProxyServer: Service, Sendable {
    /// A listener that is accepting connections.
    public struct BoundListener: Sendable {
        public var name: String
        /// The bound address; its port is the real one when the configuration asked for port 0.
        public var address: SocketAddress
        public var port: Int { self.address.port ?? 0 }
    }

    struct State {
        var configuration: ProxyConfiguration
        var listeners: [RunningListener] = []
        /// In configuration order.
        var monitors: [TargetGroupMonitor]
        var adminChannel: (any Channel)?
        var repeatedTasks: [RepeatedTask] = []
        var started = false
        var ready = false
        var stopped = false
        var reloads = 0
        var lastReloadError: String?
        var scalingTask: Task<Void, Never>?
        /// The admin settings the admin listener runs with; a reload does not change them.
        var admin: AdminConfiguration
        /// The listener plans built from ``configuration`` by `init` (every certificate read,
        /// ticket keys made), until ``start()`` binds them; dropped by a reload before that.
        var initialPlans: [ListenerPlan]?
        /// One per listener with `tls.acme`.
        var acmeManagers: [ACMEManager] = []
        /// Polls the certificate files (`tls.watch_files`), from start to shutdown.
        var certificateWatch: Task<Void, Never>?
        /// DNS discovery of targets, by target group name (groups with `dns:`/`srv:` entries).
        var discoveries: [String: TargetDiscovery] = [:]
    }

    let logger: Logger
    let group: MultiThreadedEventLoopGroup
    let loops: [ObjectIdentifier: ProxyLoop]
    let registry = ConnectionRegistry()
    let metrics: ServerMetrics
    let accessLog: AccessLogWriter
    let prober: any HealthProber
    let state: NIOLockedValueBox<State>
    /// Reads the configuration again for a reload; `nil` when the server was given a fixed one.
    let configurationSource: (@Sendable () throws -> ProxyConfiguration)?
    let reloading = NIOLockedValueBox(false)
    /// Serializes reloads, operator changes to targets and the start of shutdown.
    let operations = AsyncGate()
    let startedAt = ContinuousClock.now
    /// The pending ACME challenges of every listener (HTTP-01 tokens, TLS-ALPN-01 certificates).
    let acmeChallenges: ACMEChallengeTables
    /// The OCSP responses stapled, shared by every TLS context (a rebuilt context keeps them).
    let staples: TLSStapleStore
    /// Refresh outcomes, OCSP state and renewal state of the served certificates.
    let certificateInventory: CertificateInventory
    /// Keeps the OCSP staples of served certificates current.
    let ocspStapler: OCSPStapler
    /// Called once by ``run()`` when every listener accepts (`portcullis dev` prints its URL).
    let onStarted: (@Sendable ([BoundListener]) -> Void)?
    /// The instance's fleet membership when run with `--etcd` (target operations then go through
    /// etcd; `GET /fleet` lists the fleet).
    let fleetLink = NIOLockedValueBox<FleetMember?>(nil)

    /// Loads every certificate and prepares the runtime. Does blocking file I/O: call it before
    /// serving, not on an event loop.
    ///
    /// - Parameter configurationSource: How to read the configuration again on reload (the
    ///   file plus command-line overrides). Without it, reload answers with an error.
    /// - Throws: A ``TLSConfigurationError`` naming the file when a certificate or key cannot be
    ///   used; an ``AccessLogError`` when the access log file cannot be opened.
    /// - Parameter onStarted: Called by ``run()`` with the bound listeners once they accept.
    public init(
        configuration: ProxyConfiguration,
        logger: Logger,
        configurationSource: (@Sendable () throws -> ProxyConfiguration)? = nil,
        onStarted: (@Sendable ([BoundListener]) -> Void)? = nil
    ) throws {
        self.logger = logger
        self.configurationSource = configurationSource
        self.onStarted = onStarted
        // Fail on certificates before starting any thread; the plans are bound by `start()`.
        let staples = TLSStapleStore()
        self.staples = staples
        let metrics = ServerMetrics()
        let inventory = CertificateInventory()
        self.metrics = metrics
        self.certificateInventory = inventory
        self.ocspStapler = OCSPStapler(staples: staples, inventory: inventory, metrics: metrics, logger: logger)
        let acmeChallenges = ACMEChallengeTables()
        self.acmeChallenges = acmeChallenges
        let plans = try ListenerPlan.make(from: configuration, staples: staples, acme: acmeChallenges)
        self.accessLog = try AccessLogWriter(settings: Self.accessLogSettings(configuration.global))
        let threads: Int
        switch configuration.global.eventLoops {
        case .automatic: threads = System.coreCount
        case .fixed(let count): threads = max(1, count)
        }
        let eventLoopGroup = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        self.group = eventLoopGroup
        let connector = SocketUpstreamConnector()
        let signer = HMACCookieSigner()
        let prober = SocketHealthProber()
        self.prober = prober
        let monitors = configuration.targetGroups.map { group in
            TargetGroupMonitor(
                group: ListenerPlan.targetGroup(from: group),
                home: eventLoopGroup.next(),
                prober: prober,
                logger: logger
            )
        }
        var loops: [ObjectIdentifier: ProxyLoop] = [:]
        for eventLoop in eventLoopGroup.makeIterator() {
            let loop = ProxyLoop(
                eventLoop: eventLoop,
                pool: UpstreamPool(eventLoop: eventLoop, connector: connector),
                cookieSigner: signer
            )
            loop.observer = LoopObserver(metrics: self.metrics, accessLog: self.accessLog)
            for monitor in monitors {
                loop.add(monitor.makeLoopState(on: eventLoop))
            }
            loops[ObjectIdentifier(eventLoop)] = loop
        }
        self.loops = loops
        self.state = NIOLockedValueBox(
            State(configuration: configuration, monitors: monitors, admin: configuration.admin, initialPlans: plans)
        )
        let discoveries = self.discoveries(for: configuration, existing: [:])
        self.state.withLockedValue { $0.discoveries = discoveries }
    }

    static func accessLogSettings(_ global: GlobalSettings) -> AccessLogWriter.Settings {
        let format: AccessLogFormatter.Format
        switch global.accessLogFormat {
        case .text: format = .text
        case .json: format = .json
        case .combined: format = .combined
        case .dev: format = .dev
        }
        return AccessLogWriter.Settings(
            enabled: global.accessLog,
            format: format,
            path: global.accessLogPath,
            colour: format == .dev && global.accessLogPath == nil && AccessLogWriter.standardOutputWantsColour()
        )
    }

    /// Number of event loops serving connections.
    public var eventLoopCount: Int { self.loops.count }

    /// The configuration in effect (the last one applied).
    public var configuration: ProxyConfiguration { self.state.withLockedValue { $0.configuration } }

    var monitors: [TargetGroupMonitor] { self.state.withLockedValue { $0.monitors } }

    /// The health and state of every target, by target group name. Safe from any thread.
    public func targetStatus() -> [String: [TargetStatus]] {
        var result: [String: [TargetStatus]] = [:]
        for monitor in self.monitors {
            result[monitor.group.name] = monitor.status()
        }
        return result
    }

    /// Open client connections right now.
    public var openConnectionCount: Int { self.registry.count }

    /// Whether `/ready` answers 200: started and not shutting down.
    public var isReady: Bool { self.state.withLockedValue { $0.ready } }

    /// The listeners accepting now, in configuration order.
    public var boundListeners: [BoundListener] {
        self.state.withLockedValue { $0.listeners.map { BoundListener(name: $0.name, address: $0.address) } }
    }

    /// Where the admin API listens, when it is enabled and started.
    public var adminAddress: SocketAddress? {
        self.state.withLockedValue { $0.adminChannel?.localAddress }
    }

    /// Binds every listener and the admin API, and starts accepting.
    ///
    /// - Returns: The bound listeners, in configuration order, with their real ports.
    @discardableResult
    public func start() async throws -> [BoundListener] {
        let (alreadyStarted, configuration, monitors, initialPlans) = self.state.withLockedValue { state in
            defer {
                state.started = true
                state.initialPlans = nil
            }
            return (state.started, state.configuration, state.monitors, state.initialPlans)
        }
        if alreadyStarted { return self.boundListeners }

        Self.logWarnings(of: configuration, logger: self.logger)
        for monitor in monitors {
            monitor.start()
        }
        await self.startDiscoveries(Array(self.state.withLockedValue { $0.discoveries.values }))
        let plans = try initialPlans ?? ListenerPlan.make(from: configuration, staples: self.staples, acme: self.acmeChallenges)
        for (plan, listenerConfiguration) in zip(plans, configuration.listeners) {
            let listener = try await self.bind(plan, configuration: listenerConfiguration)
            self.state.withLockedValue { $0.listeners.append(listener) }
        }
        if configuration.admin.enabled {
            let channel = try await self.bindAdmin(configuration.admin)
            self.state.withLockedValue { $0.adminChannel = channel }
        }
        let flush = self.group.next().scheduleRepeatedTask(initialDelay: .milliseconds(200), delay: .milliseconds(200)) {
            [accessLog] _ in accessLog.flush()
        }
        self.state.withLockedValue {
            $0.repeatedTasks.append(flush)
            $0.ready = true
        }
        self.startScaling(configuration)
        self.certificatesChanged()
        self.startCertificateWatch()
        self.startACME(configuration, plans: plans)
        return self.boundListeners
    }

    static let clientReceiveAllocator = AdaptiveRecvByteBufferAllocator(minimum: 64, initial: 256, maximum: 65536)

    /// Binds one listener and schedules its ticket key rotation.
    ///
    /// - Parameter whileAddressInUse: How long to try again a bind refused with EADDRINUSE (a
    ///   reload that has just closed this address's old sockets: a child process spawned at that
    ///   moment may hold one until its exec, ``Defaults/Listener/rebindWait``); zero: fail at once.
    func bind(
        _ plan: ListenerPlan,
        configuration: ListenerConfiguration,
        whileAddressInUse: Duration = .zero
    ) async throws -> RunningListener {
        let deadline = ContinuousClock.now + whileAddressInUse
        while true {
            do {
                return try await self.bindOnce(plan, configuration: configuration)
            } catch let error as IOError where error.errnoCode == EADDRINUSE && ContinuousClock.now < deadline {
                self.logger.debug("address still in use; binding again", metadata: ["listener": "\(plan.name)"])
                try await Task.sleep(for: Defaults.Listener.rebindRetryInterval)
            }
        }
    }

    private func bindOnce(_ plan: ListenerPlan, configuration: ListenerConfiguration) async throws -> RunningListener {
        let loops = self.loops
        let registry = self.registry
        let logger = self.logger
        let metrics = self.metrics
        let box = NIOLockedValueBox(plan)
        let name = plan.name
        let socket = RunningListener.Socket()
        let socketID = ObjectIdentifier(socket)
        /// Accepts on `group`: the whole group (one socket whose loop hands each connection to
        /// the next loop), or one loop (its own socket, `reuse_port`).
        func listen(on group: any EventLoopGroup, port: Int) async throws -> any Channel {
            try await ServerBootstrap(group: group)
                .serverChannelOption(.backlog, value: 1024)
                .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
                .serverChannelOption(.socketOption(NIOBSDSocket.Option(rawValue: SO_REUSEPORT)), value: configuration.reusePort ? 1 : 0)
                // Child options are set synchronously in the initializer: the bootstrap's
                // `childChannelOption` applies each one through a chain of futures per connection.
                .childChannelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        guard let loop = loops[ObjectIdentifier(channel.eventLoop)] else {
                            throw ChannelError.ioOnClosedChannel
                        }
                        if let options = channel.syncOptions {
                            try options.setOption(.tcpOption(.tcp_nodelay), value: 1)
                            // A client that sends its request and then shuts its side down (`nc -N`,
                            // some health checkers) still gets the response: HTTP1ServerConnection
                            // closes after it.
                            try options.setOption(.allowRemoteHalfClosure, value: true)
                            // NIO keeps each connection's last receive buffer for reuse, for as long
                            // as the connection lives. Starting at 256 bytes (not NIO's 2 KiB) keeps
                            // idle keep-alive connections small (nginx frees its buffers between
                            // requests); one full read makes the allocator jump to a much larger
                            // size, so big requests cost one extra read once.
                            try options.setOption(.recvAllocator, value: Self.clientReceiveAllocator)
                        }
                        let plan = box.withLockedValue { $0 }
                        let peer = channel.remoteAddress?.ipAddress ?? "unknown"
                        if let trusted = plan.proxyProtocolPeers, !trusted(peer) {
                            metrics.connectionRefused(listener: name, reason: "proxy_protocol_untrusted")
                            logger.notice("PROXY protocol from an untrusted peer; closing", metadata: ["listener": "\(name)", "peer": "\(peer)"])
                            throw ChannelError.inputClosed
                        }
                        if let counts = plan.connectionsPerAddress {
                            guard counts.open(peer) else {
                                metrics.connectionRefused(listener: name, reason: "connections_per_ip")
                                throw ChannelError.inputClosed
                            }
                            channel.closeFuture.whenComplete { _ in counts.closed(peer) }
                        }
                        try ClientPipeline.configure(
                            channel: channel,
                            plan: plan,
                            loop: loop,
                            logger: logger,
                            metrics: metrics
                        )
                        registry.add(channel, listener: name, socket: socketID)
                    }
                }
                .bind(host: plan.host, port: port)
                .get()
        }
        var channels: [any Channel] = []
        do {
            if configuration.reusePort {
                // The first socket fixes the port (port 0 picks one); the others join it.
                var port = plan.port
                for eventLoop in self.group.makeIterator() {
                    let channel = try await listen(on: eventLoop, port: port)
                    channels.append(channel)
                    port = channel.localAddress?.port ?? port
                }
            } else {
                channels.append(try await listen(on: self.group, port: plan.port))
            }
        } catch {
            for channel in channels { try? await channel.close() }
            throw error
        }
        let address = try channels[0].localAddress ?? SocketAddress(ipAddress: "0.0.0.0", port: plan.port)
        let listener = RunningListener(configuration: configuration, socket: socket, plan: box, channels: channels, address: address)
        self.scheduleTicketRotation(listener)
        self.logger.info(
            "listener started",
            metadata: [
                "listener": "\(plan.name)",
                "address": "\(Self.describe(address, fallbackHost: plan.host))",
                "protocol": "\(plan.tls == nil ? "http" : "https")",
                "sockets": "\(channels.count)",
            ]
        )
        return listener
    }

    /// The configuration's warnings (`portcullis check` prints the same), once per start or reload.
    static func logWarnings(of configuration: ProxyConfiguration, logger: Logger) {
        for warning in configuration.warnings {
            logger.warning("configuration: \(warning.description)")
        }
    }

    /// (Re)starts the ticket key rotation of a listener's current plan.
    func scheduleTicketRotation(_ listener: RunningListener) {
        let plan = listener.plan
        var task: RepeatedTask?
        if plan.tls != nil {
            task = self.group.next().scheduleRepeatedTask(
                initialDelay: plan.ticketKeyRotation,
                delay: plan.ticketKeyRotation
            ) { [logger] _ in
                listener.plan.tls?.rotateTicketKeys()
                logger.debug("rotated TLS session ticket keys", metadata: ["listener": "\(listener.name)"])
            }
        }
        let previous = listener.ticketRotation.withLockedValue { current in
            defer { current = task }
            return current
        }
        previous?.cancel()
    }

    static func describe(_ address: SocketAddress, fallbackHost: String) -> String {
        let host = address.ipAddress.map { $0.contains(":") ? "[\($0)]" : $0 } ?? fallbackHost
        return "\(host):\(address.port ?? 0)"
    }

    /// Runs until graceful shutdown is requested (SIGTERM/SIGINT through the `ServiceGroup`), then
    /// drains. SIGHUP reloads the configuration; SIGUSR1 reopens the access log.
    public func run() async throws {
        let bound = try await self.start()
        self.onStarted?(bound)
        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await self.handleSignals() }
            try? await gracefulShutdown()
            tasks.cancelAll()
        }
        await self.shutdown()
    }

    /// Stops being ready, waits `shutdown_delay` so an outer load balancer notices, stops
    /// accepting, lets requests in flight finish up to the grace period, closes what is left and
    /// stops the event loops. Safe to call more than once.
    public func shutdown() async {
        // Through the gate: a reload in progress finishes first, and none starts after.
        let (configuration, alreadyStopped) = await self.operations.withExclusive {
            self.state.withLockedValue { state in
                defer {
                    state.ready = false
                    state.stopped = true
                }
                return (state.configuration, state.stopped)
            }
        }
        if alreadyStopped { return }
        if configuration.global.shutdownDelay > .zero {
            self.logger.info("not ready; waiting before closing listeners", metadata: ["delay": "\(configuration.global.shutdownDelay)"])
            try? await Task.sleep(for: configuration.global.shutdownDelay)
        }
        let (listeners, admin, tasks, monitors) = self.state.withLockedValue { state in
            (state.listeners, state.adminChannel, state.repeatedTasks, state.monitors)
        }
        self.stopScaling()
        for discovery in self.state.withLockedValue({ $0.discoveries.values }) { discovery.stop() }
        self.stopACME()
        self.stopCertificateWatch()
        self.ocspStapler.stop()
        for listener in listeners {
            listener.ticketRotation.withLockedValue { $0?.cancel() }
        }
        for monitor in monitors { monitor.stop() }
        for listener in listeners {
            await listener.close()
        }
        let open = self.registry.all
        self.logger.info("shutting down", metadata: ["open_connections": "\(open.count)"])
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let deadline = ContinuousClock.now + configuration.global.shutdownGrace
        while self.registry.count > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        let remaining = self.registry.all
        if !remaining.isEmpty {
            self.logger.notice("closing connections still open after the grace period", metadata: ["count": "\(remaining.count)"])
        }
        for channel in remaining {
            channel.close(promise: nil)
        }
        // Give the closes (close_notify included) a moment to finish while the loops still run
        // their timers.
        let closeDeadline = ContinuousClock.now + .seconds(3)
        while self.registry.count > 0 && ContinuousClock.now < closeDeadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        try? await admin?.close()
        for task in tasks { task.cancel() }
        self.accessLog.close()
        try? await self.group.shutdownGracefully()
        self.logger.info("stopped")
    }
}
