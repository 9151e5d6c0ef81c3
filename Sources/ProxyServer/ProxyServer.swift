public import Logging
import NIOConcurrencyHelpers
public import NIOCore
import NIOPosix
public import ProxyConfig
public import ProxyCore
import ProxyTLS
public import ServiceLifecycle

/// The composition root: turns a validated configuration into listening sockets, upstream pools
/// and pipelines, and runs them until a graceful shutdown.
///
/// Owns the event loop group (one loop per core unless configured), one ``UpstreamPool`` per
/// loop, and every socket. As a `Service`, it stops accepting on SIGTERM/SIGINT (through its
/// `ServiceGroup`), lets requests in flight finish up to `global.shutdown_grace`, then closes
/// what is left.
public final class ProxyServer: Service, Sendable {
    /// A listener that is accepting connections.
    public struct BoundListener: Sendable {
        public var name: String
        /// The bound address; its port is the real one when the configuration asked for port 0.
        public var address: SocketAddress
        public var port: Int { self.address.port ?? 0 }
    }

    private struct State {
        var serverChannels: [any Channel] = []
        var bound: [BoundListener] = []
        var repeatedTasks: [RepeatedTask] = []
        var started = false
        var stopped = false
    }

    private let configuration: ProxyConfiguration
    private let plans: [ListenerPlan]
    private let logger: Logger
    private let accessLogger: Logger
    private let group: MultiThreadedEventLoopGroup
    private let loops: [ObjectIdentifier: ProxyLoop]
    private let monitors: [TargetGroupMonitor]
    private let registry = ConnectionRegistry()
    private let state = NIOLockedValueBox(State())

    /// Loads every certificate and prepares the runtime. Does blocking file I/O: call it before
    /// serving, not on an event loop.
    ///
    /// - Throws: A ``TLSConfigurationError`` naming the file when a certificate or key cannot be used.
    public init(configuration: ProxyConfiguration, logger: Logger, accessLogger: Logger? = nil) throws {
        self.configuration = configuration
        self.logger = logger
        self.accessLogger = accessLogger ?? Logger(label: "portcullis.access")
        self.plans = try ListenerPlan.make(from: configuration)
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
            for monitor in monitors {
                loop.add(monitor.makeLoopState(on: eventLoop))
            }
            loops[ObjectIdentifier(eventLoop)] = loop
        }
        self.loops = loops
        self.monitors = monitors
    }

    /// Number of event loops serving connections.
    public var eventLoopCount: Int { self.loops.count }

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

    /// Binds every listener and starts accepting.
    ///
    /// - Returns: The bound listeners, in configuration order, with their real ports.
    @discardableResult
    public func start() async throws -> [BoundListener] {
        let alreadyStarted = self.state.withLockedValue { state -> Bool in
            defer { state.started = true }
            return state.started
        }
        if alreadyStarted { return self.state.withLockedValue { $0.bound } }

        for monitor in self.monitors {
            monitor.start()
        }
        var bound: [BoundListener] = []
        for plan in self.plans {
            let channel = try await self.bind(plan)
            guard let address = channel.localAddress else { continue }
            bound.append(BoundListener(name: plan.name, address: address))
            self.logger.info(
                "listener started",
                metadata: [
                    "listener": "\(plan.name)",
                    "address": "\(address.ipAddress.map { $0.contains(":") ? "[\($0)]" : $0 } ?? plan.host):\(address.port ?? plan.port)",
                    "protocol": "\(plan.tls == nil ? "http" : "https")",
                ]
            )
            self.state.withLockedValue { $0.serverChannels.append(channel) }
            if let tls = plan.tls {
                let task = self.group.next().scheduleRepeatedTask(
                    initialDelay: plan.ticketKeyRotation,
                    delay: plan.ticketKeyRotation
                ) { [logger] _ in
                    tls.rotateTicketKeys()
                    logger.debug("rotated TLS session ticket keys", metadata: ["listener": "\(plan.name)"])
                }
                self.state.withLockedValue { $0.repeatedTasks.append(task) }
            }
        }
        self.state.withLockedValue { $0.bound = bound }
        return bound
    }

    private func bind(_ plan: ListenerPlan) async throws -> any Channel {
        let loops = self.loops
        let registry = self.registry
        let logger = self.logger
        let accessLogger = self.accessLogger
        return try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.tcpOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let loop = loops[ObjectIdentifier(channel.eventLoop)] else {
                        throw ChannelError.ioOnClosedChannel
                    }
                    try ClientPipeline.configure(
                        channel: channel,
                        plan: plan,
                        loop: loop,
                        logger: logger,
                        accessLogger: accessLogger
                    )
                    registry.add(channel)
                }
            }
            .bind(host: plan.host, port: plan.port)
            .get()
    }

    /// Runs until graceful shutdown is requested (SIGTERM/SIGINT through the `ServiceGroup`), then
    /// drains.
    public func run() async throws {
        try await self.start()
        try? await gracefulShutdown()
        await self.shutdown()
    }

    /// Stops accepting, lets requests in flight finish up to the configured grace period, closes
    /// what is left and stops the event loops. Safe to call more than once.
    public func shutdown() async {
        let (channels, tasks, alreadyStopped) = self.state.withLockedValue { state in
            defer { state.stopped = true }
            return (state.serverChannels, state.repeatedTasks, state.stopped)
        }
        if alreadyStopped { return }
        for task in tasks { task.cancel() }
        for monitor in self.monitors { monitor.stop() }
        for channel in channels {
            try? await channel.close()
        }
        let open = self.registry.all
        self.logger.info("shutting down", metadata: ["open_connections": "\(open.count)"])
        for channel in open {
            channel.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        }
        let deadline = ContinuousClock.now + self.configuration.global.shutdownGrace
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
        try? await self.group.shutdownGracefully()
        self.logger.info("stopped")
    }
}
