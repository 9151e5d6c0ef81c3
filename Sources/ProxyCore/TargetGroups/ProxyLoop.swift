public import NIOCore

/// Signs stickiness cookie values. The composition root implements it with HMAC-SHA256.
public protocol CookieSigner: Sendable {
    /// A signature for `value`; the same value always gets the same signature.
    func signature(for value: String) -> String
}

/// Everything one event loop owns for proxying: its upstream connection pool and its view of
/// every target group.
///
/// > Important: Built once at startup, then touched only on ``eventLoop``.
public final class ProxyLoop: @unchecked Sendable {
    // Confined to `eventLoop` after setup, which is single-threaded.
    public let eventLoop: any EventLoop
    public let pool: UpstreamPool
    /// The h2c connections of this loop (`protocol: h2c` groups), made at the first such request
    /// with the same connector as ``pool``.
    public private(set) lazy var h2cPool = H2CUpstreamPool(eventLoop: self.eventLoop, connector: self.pool.connector)
    public private(set) var targetGroups: [String: TargetGroupLoopState] = [:] {
        didSet { self.generation &+= 1 }
    }
    /// Changes whenever ``targetGroups`` does: a handler that remembers the group of its last
    /// request checks it instead of looking the name up again.
    private(set) var generation = 0
    public let cookieSigner: (any CookieSigner)?
    /// The connection timeouts (header, idle, response) of this loop.
    public let timers: LoopTimers
    /// Sees every finished request of this loop (metrics, access log). Set during setup.
    public var observer: (any ProxyObserver)?
    /// The open tunnels of this loop, by target: a drain that runs out of time closes them.
    let tunnels = TunnelRegistry()
    /// Makes the `X-Request-Id`s of this loop's requests.
    let requestIDs = RequestIDGenerator()
    /// This loop's recent static file lookups, per static route (decision 0028).
    let staticFiles = StaticFileCacheRegistry()

    public init(eventLoop: any EventLoop, pool: UpstreamPool, cookieSigner: (any CookieSigner)? = nil) {
        self.eventLoop = eventLoop
        self.pool = pool
        self.cookieSigner = cookieSigner
        self.timers = LoopTimers(eventLoop: eventLoop)
    }

    /// Adds this loop's view of a target group. Setup only.
    public func add(_ state: TargetGroupLoopState) {
        self.targetGroups[state.group.name] = state
    }

    /// Closes every tunnel of this loop to the target with `targetID` (a drain past its wait).
    /// - Returns: How many were closed. Call on ``eventLoop``.
    @discardableResult
    public func closeTunnels(to targetID: String) -> Int {
        self.eventLoop.preconditionInEventLoop()
        return self.tunnels.closeAll(to: targetID)
    }

    /// Open tunnels of this loop. Call on ``eventLoop``.
    public var openTunnels: Int { self.tunnels.count }

    /// Swaps in the target groups of a reloaded configuration, all at once. Call on ``eventLoop``.
    public func replaceTargetGroups(_ states: [TargetGroupLoopState]) {
        self.eventLoop.preconditionInEventLoop()
        self.targetGroups = Dictionary(states.map { ($0.group.name, $0) }, uniquingKeysWith: { first, _ in first })
    }
}
