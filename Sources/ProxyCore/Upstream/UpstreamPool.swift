public import NIOCore
import NIOHTTP1

/// The keep-alive connections of one event loop to every target: reuses idle connections and
/// keeps at most ``UpstreamSettings/maxIdlePerTarget`` of them per target.
///
/// One pool per event loop, like nginx's per-worker `keepalive` cache: a client connection only
/// ever borrows connections on its own loop, so the pool needs no locks.
///
/// > Important: Call only on ``eventLoop``. Its state is confined to that loop (checked in debug
/// > builds), which is why it can be `@unchecked Sendable` and be handed around at setup time.
public final class UpstreamPool: @unchecked Sendable {
    public let eventLoop: any EventLoop
    let connector: any UpstreamConnector
    /// By target key (its `host:port`; ``TargetKeys``), so a weight change at run time keeps the
    /// target's connections. An empty list allocates nothing.
    private var idle: [[UpstreamConnection]] = []
    /// Connections currently open (idle or leased), for tests and stats.
    public private(set) var openConnections = 0
    private var sweepScheduled = false

    public init(eventLoop: any EventLoop, connector: any UpstreamConnector) {
        self.eventLoop = eventLoop
        self.connector = connector
    }

    /// Idle connections kept for `target`.
    /// Idle connections to every target. Call on ``eventLoop``.
    public var idleTotal: Int {
        self.idle.reduce(0) { $0 + $1.count }
    }

    public func idleCount(for target: Target) -> Int {
        self.eventLoop.preconditionInEventLoop()
        return target.key < self.idle.count ? self.idle[target.key].count : 0
    }

    /// Lends an idle connection to `target`, or opens a new one.
    ///
    /// - Parameter forceNewConnection: Open a new connection even if an idle one exists (after a
    ///   reused one turned out stale).
    /// - Parameter completion: Called on this loop with the connection, or with an
    ///   ``UpstreamError`` (`connectFailed` / `connectTimedOut`).
    func lease(
        to target: Target,
        settings: UpstreamSettings,
        forceNewConnection: Bool = false,
        completion: @escaping (Result<UpstreamConnection, UpstreamError>) -> Void
    ) {
        self.eventLoop.assertInEventLoop()
        if !forceNewConnection, let connection = self.takeIdle(to: target) {
            completion(.success(connection))
            return
        }
        self.connector.connect(to: target, on: self.eventLoop, timeout: settings.connectTimeout)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    do {
                        // Request heads were validated on the way in (decision 0007); the
                        // connection writes them as they are and parses the responses itself.
                        let connection = UpstreamConnection(target: target, channel: channel)
                        try channel.pipeline.syncOperations.addHandler(connection)
                        connection.pool = self
                        connection.requestCount = 1
                        self.openConnections += 1
                        completion(.success(connection))
                    } catch {
                        channel.close(promise: nil)
                        completion(.failure(.connectFailed(target, error)))
                    }
                case .failure(let error):
                    completion(.failure(.connect(target, failedWith: error)))
                }
            }
    }

    /// Lends an idle connection to `target`, if one is open.
    ///
    /// A target's (possibly empty) list stays in the pool: emptying and refilling it around
    /// every request would allocate a new array each time.
    func takeIdle(to target: Target) -> UpstreamConnection? {
        self.eventLoop.assertInEventLoop()
        // Mutated in place: a copy of the array per request would allocate.
        guard target.key < self.idle.count else { return nil }
        while let connection = self.idle[target.key].popLast() {
            if connection.isClosed || !connection.channel.isActive { continue }
            connection.requestCount += 1
            return connection
        }
        return nil
    }

    /// Takes a connection back after a complete exchange.
    ///
    /// - Parameter reusable: `false` after any error or when either side asked to close; the
    ///   connection is then closed instead of kept.
    func release(_ connection: UpstreamConnection, reusable: Bool, settings: UpstreamSettings) {
        self.eventLoop.assertInEventLoop()
        connection.delegate = nil
        connection.resumeReading()
        guard reusable, !connection.isClosed, connection.channel.isActive, !connection.hasUnreadBytes else {
            connection.close()
            return
        }
        // One lookup, the list changed in place.
        func keep(in list: inout [UpstreamConnection]) -> Bool {
            guard list.count < settings.maxIdlePerTarget else { return false }
            list.append(connection)
            return true
        }
        self.idle.grow(toInclude: connection.target.key, with: [])
        guard keep(in: &self.idle[connection.target.key]) else {
            connection.close()
            return
        }
        connection.idleDeadline = self.eventLoop.now + settings.idleTimeout
        self.scheduleSweep()
    }

    /// One sweep a second closes idle connections past their deadline, instead of a timer per
    /// released connection (which would be scheduled and cancelled on every request).
    private func scheduleSweep() {
        guard !self.sweepScheduled else { return }
        self.sweepScheduled = true
        self.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) {
            self.sweepScheduled = false
            let now = self.eventLoop.now
            for connections in self.idle {
                for connection in connections where connection.idleDeadline <= now {
                    connection.close()
                }
            }
            if self.idle.contains(where: { !$0.isEmpty }) {
                self.scheduleSweep()
            }
        }
    }

    func connectionClosed(_ connection: UpstreamConnection) {
        self.openConnections -= 1
        let key = connection.target.key
        guard key < self.idle.count else { return }
        self.idle[key].removeAll { $0 === connection }
    }
}
