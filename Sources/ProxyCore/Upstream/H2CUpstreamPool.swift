public import NIOCore
import NIOHTTP2

/// The h2c connections of one event loop to the targets of `protocol: h2c` groups: each
/// request becomes a stream on a connection to its target that has room (fewer streams than
/// ``UpstreamSettings/maxStreamsPerConnection`` and the target's SETTINGS_MAX_CONCURRENT_STREAMS),
/// and a new connection opens only when none has. Requests that come while a connection is being
/// made wait for it rather than each opening their own.
///
/// A connection without streams for ``UpstreamSettings/idleTimeout`` is closed (a sweep a second
/// while any is open). One pool per loop, like ``UpstreamPool``: no locks.
///
/// > Important: Call only on ``eventLoop``.
public final class H2CUpstreamPool: @unchecked Sendable {
    public let eventLoop: any EventLoop
    private let connector: any UpstreamConnector
    /// By target key (``TargetKeys``).
    private var connections: [[H2CUpstreamConnection]] = []
    private var sweepScheduled = false

    public init(eventLoop: any EventLoop, connector: any UpstreamConnector) {
        self.eventLoop = eventLoop
        self.connector = connector
    }

    /// Connections open or being opened to every target (for tests and stats).
    public var openConnections: Int {
        self.eventLoop.preconditionInEventLoop()
        return self.connections.reduce(0) { $0 + $1.count { !$0.isClosed } }
    }

    /// Opens a stream to `target` for one request.
    ///
    /// - Parameter completion: Called on this loop with the stream, or with an ``UpstreamError``
    ///   (`connectFailed` / `connectTimedOut`).
    func lease(to target: Target, settings: UpstreamSettings, completion: @escaping (Result<any UpstreamLink, UpstreamError>) -> Void) {
        self.eventLoop.assertInEventLoop()
        let stream = H2CUpstreamStream(target: target)
        self.connections.grow(toInclude: target.key, with: [])
        if let connection = self.connections[target.key].first(where: { $0.hasRoom }) {
            connection.reserve()
            if case .connecting = connection.state {
                connection.waiting.append((stream, completion))
            } else {
                connection.open(stream, completion: completion)
            }
            return
        }
        let connection = H2CUpstreamConnection(target: target, maxStreams: settings.maxStreamsPerConnection, now: self.eventLoop.now)
        connection.reserve()
        connection.waiting.append((stream, completion))
        self.connections[target.key].append(connection)
        self.scheduleSweep(idleTimeout: settings.idleTimeout)
        self.connector.connect(to: target, on: self.eventLoop, timeout: settings.connectTimeout)
            .assumeIsolated()
            .whenComplete { result in
                switch result {
                case .success(let channel):
                    do {
                        try self.setUp(channel, connection: connection)
                    } catch {
                        channel.close(promise: nil)
                        self.connectFailed(connection, .connectFailed(target, error))
                    }
                case .failure(let error):
                    self.connectFailed(connection, .connect(target, failedWith: error))
                }
            }
    }

    private func setUp(_ channel: any Channel, connection: H2CUpstreamConnection) throws {
        var configuration = NIOHTTP2Handler.ConnectionConfiguration()
        configuration.initialSettings = [
            HTTP2Setting(parameter: .enablePush, value: 0),
            HTTP2Setting(parameter: .maxConcurrentStreams, value: 0),  // it opens none to us
            HTTP2Setting(parameter: .maxHeaderListSize, value: 1 << 16),
        ]
        let handler = NIOHTTP2Handler(mode: .client, eventLoop: channel.eventLoop, connectionConfiguration: configuration) { stream in
            stream.close()  // no pushed streams (push is off)
        }
        try channel.pipeline.syncOperations.addHandler(handler)
        try channel.pipeline.syncOperations.addHandler(connection)
        let multiplexer = try handler.syncMultiplexer()
        channel.closeFuture.assumeIsolated().whenComplete { _ in
            self.connectionClosed(connection)
        }
        connection.connected(channel, multiplexer: multiplexer)
        let waiting = connection.waiting
        connection.waiting = []
        for (stream, completion) in waiting {
            connection.open(stream, completion: completion)
        }
    }

    private func connectFailed(_ connection: H2CUpstreamConnection, _ error: UpstreamError) {
        connection.markClosed()
        self.remove(connection)
        let waiting = connection.waiting
        connection.waiting = []
        for (_, completion) in waiting {
            completion(.failure(error))
        }
    }

    private func connectionClosed(_ connection: H2CUpstreamConnection) {
        connection.markClosed()
        self.remove(connection)
    }

    private func remove(_ connection: H2CUpstreamConnection) {
        let key = connection.target.key
        guard key < self.connections.count else { return }
        self.connections[key].removeAll { $0 === connection }
    }

    /// Closes connections without streams for `idleTimeout`, once a second while any is open.
    private func scheduleSweep(idleTimeout: TimeAmount) {
        guard !self.sweepScheduled else { return }
        self.sweepScheduled = true
        self.eventLoop.assumeIsolated().scheduleTask(in: .seconds(1)) {
            self.sweepScheduled = false
            let now = self.eventLoop.now
            for connections in self.connections {
                for connection in connections where connection.streams == 0 && connection.idleSince + idleTimeout <= now {
                    connection.close()
                }
            }
            if self.connections.contains(where: { !$0.isEmpty }) {
                self.scheduleSweep(idleTimeout: idleTimeout)
            }
        }
    }
}
