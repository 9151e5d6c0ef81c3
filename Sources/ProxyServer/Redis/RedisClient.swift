import NIOCore
import NIOPosix

/// A small Redis client bound to one event loop: one TCP connection (`TCP_NODELAY`), made when
/// the first command needs it, with every command pipelined on it.
///
/// The request path must never wait on a dead Redis, so the client waits for a connection only
/// once: commands sent before the first connection is up are queued for it (bounded by the
/// connect timeout and ``Configuration/maxWaitingForConnection``). After any failure — a
/// refused or timed-out connect, a command timeout, a protocol violation, or the connection
/// closing — commands fail at once with ``RedisClientError/unavailable`` while no connection is
/// up, and reconnecting happens beside them:
///
/// - at most one connection attempt is in flight;
/// - an attempt starts when a command comes after the backoff has passed (the command itself
///   still fails at once), so an idle client makes no attempts;
/// - the backoff is ``Configuration/initialBackoff`` (100 ms) after the first failure, doubling
///   with each failed attempt (or connection closed before its first reply) up to
///   ``Configuration/maximumBackoff`` (5 s), and starts afresh once a connection has answered.
///
/// Commands registered with ``addConnectionSetup(_:onReply:)`` (`SCRIPT LOAD`) are sent first on
/// every new connection.
///
/// > Important: Event-loop-bound, like a channel handler: every method is called on
/// > ``eventLoop``, and futures complete there. The composition root makes one client per event
/// > loop, so requests never hop loops to reach Redis.
final class RedisClient {
    /// Where Redis is, and how long to wait for it.
    struct Configuration: Sendable {
        var host: String
        var port: Int
        /// How long a connection attempt may take.
        var connectTimeout: TimeAmount
        /// How long a command may wait for its reply before it fails and the connection is dropped.
        var commandTimeout: TimeAmount
        /// The wait before reconnecting after the first failure; doubled after each further one.
        var initialBackoff: TimeAmount
        /// The longest wait before reconnecting.
        var maximumBackoff: TimeAmount
        /// Commands queued while the first connection is being made; more fail.
        var maxWaitingForConnection: Int
        /// The bounds on replies.
        var limits: RESPParser.Limits

        init(
            host: String,
            port: Int,
            connectTimeout: TimeAmount = .milliseconds(500),
            commandTimeout: TimeAmount = .milliseconds(250),
            initialBackoff: TimeAmount = .milliseconds(100),
            maximumBackoff: TimeAmount = .seconds(5),
            maxWaitingForConnection: Int = 1024,
            limits: RESPParser.Limits = RESPParser.Limits()
        ) {
            self.host = host
            self.port = port
            self.connectTimeout = connectTimeout
            self.commandTimeout = commandTimeout
            self.initialBackoff = initialBackoff
            self.maximumBackoff = maximumBackoff
            self.maxWaitingForConnection = maxWaitingForConnection
            self.limits = limits
        }
    }

    private enum State {
        /// No connection. One may be attempted at once if nothing has failed yet, else from
        /// `retryAt` on.
        case idle
        case connecting
        case connected(RedisConnection, any Channel)
        case shutDown
    }

    /// A command sent first on every new connection.
    private struct SetupCommand {
        var command: ByteBuffer
        var onReply: (Result<RESPValue, any Error>) -> Void
    }

    let eventLoop: any EventLoop
    let configuration: Configuration
    private var state = State.idle
    /// Failures since a connection last answered: 0 until the first failure.
    private var failures = 0
    private var retryAt = NIODeadline.uptimeNanoseconds(0)
    private var waitingForConnection = CircularBuffer<(command: ByteBuffer, promise: EventLoopPromise<RESPValue>)>()
    private var setupCommands: [SetupCommand] = []

    /// Connection attempts made so far (for tests and metrics).
    private(set) var connectionAttempts = 0

    /// Makes a client; it connects when the first command is sent.
    init(configuration: Configuration, eventLoop: any EventLoop) {
        self.configuration = configuration
        self.eventLoop = eventLoop
    }

    /// Whether a connection is up.
    var isConnected: Bool {
        if case .connected(let connection, _) = self.state { connection.isUsable } else { false }
    }

    /// Sends one command; the future gets Redis's reply, which may be an error reply
    /// (``RESPValue/error(_:)``): that is an answer, not a failure.
    ///
    /// - Parameter command: The command's name and arguments (`["SET", key, value]`).
    /// - Returns: The reply, or a failure with a ``RedisClientError``.
    func send(_ command: [any RESPArgument]) -> EventLoopFuture<RESPValue> {
        self.eventLoop.preconditionInEventLoop()
        if case .connected(let connection, _) = self.state, connection.isUsable {
            let promise = self.eventLoop.makePromise(of: RESPValue.self)
            connection.send(command, promise: promise)
            return promise.futureResult
        }
        var buffer = ByteBuffer()
        if self.failures == 0 {
            buffer.writeRESPCommand(command)  // it may wait for the first connection; else it fails at once
        }
        return self.send(encoded: buffer)
    }

    /// Sends one command already encoded with ``NIOCore/ByteBuffer/writeRESPCommand(_:)``.
    func send(encoded command: ByteBuffer) -> EventLoopFuture<RESPValue> {
        self.eventLoop.preconditionInEventLoop()
        let promise = self.eventLoop.makePromise(of: RESPValue.self)
        switch self.state {
        case .connected(let connection, _) where connection.isUsable:
            connection.send(encoded: command, promise: promise)
        case .connected:
            // Failed, and its close not yet reported.
            promise.fail(RedisClientError.unavailable)
        case .connecting:
            self.waitForConnection(command, promise: promise)
        case .idle:
            if self.failures == 0 {
                self.connect()
                self.waitForConnection(command, promise: promise)
            } else {
                if NIODeadline.now() >= self.retryAt {
                    self.connect()
                }
                promise.fail(RedisClientError.unavailable)
            }
        case .shutDown:
            promise.fail(RedisClientError.shutDown)
        }
        return promise.futureResult
    }

    /// Registers a command sent first on every new connection (before anything queued), and
    /// now if a connection is up; `onReply` gets each of its replies.
    func addConnectionSetup(_ command: [any RESPArgument], onReply: @escaping (Result<RESPValue, any Error>) -> Void) {
        self.eventLoop.preconditionInEventLoop()
        var buffer = ByteBuffer()
        buffer.writeRESPCommand(command)
        let setup = SetupCommand(command: buffer, onReply: onReply)
        self.setupCommands.append(setup)
        if case .connected(let connection, _) = self.state, connection.isUsable {
            self.sendSetup(setup, on: connection)
        }
    }

    /// Closes the connection and fails every command still waiting; later commands fail with
    /// ``RedisClientError/shutDown``.
    func close() -> EventLoopFuture<Void> {
        self.eventLoop.preconditionInEventLoop()
        let previous = self.state
        self.state = .shutDown
        self.failWaiting(with: .shutDown)
        if case .connected(_, let channel) = previous {
            return channel.close().recover { _ in }
        }
        return self.eventLoop.makeSucceededVoidFuture()
    }

    private func waitForConnection(_ command: ByteBuffer, promise: EventLoopPromise<RESPValue>) {
        guard self.failures == 0 else {
            promise.fail(RedisClientError.unavailable)
            return
        }
        guard self.waitingForConnection.count < self.configuration.maxWaitingForConnection else {
            promise.fail(RedisClientError.tooManyWaiting)
            return
        }
        self.waitingForConnection.append((command, promise))
    }

    private func connect() {
        self.state = .connecting
        self.connectionAttempts += 1
        let configuration = self.configuration
        ClientBootstrap(group: self.eventLoop)
            .connectTimeout(configuration.connectTimeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        RedisConnection(commandTimeout: configuration.commandTimeout, limits: configuration.limits)
                    )
                }
            }
            .connect(host: configuration.host, port: configuration.port)
            .assumeIsolated()
            .whenComplete { result in
                self.connectAttemptEnded(result)
            }
    }

    private func connectAttemptEnded(_ result: Result<any Channel, any Error>) {
        guard case .connecting = self.state else {
            // Shut down meanwhile.
            if case .success(let channel) = result {
                channel.close(promise: nil)
            }
            return
        }
        let connection: RedisConnection
        let channel: any Channel
        do {
            channel = try result.get()
            connection = try channel.pipeline.syncOperations.handler(type: RedisConnection.self)
        } catch {
            self.state = .idle
            self.recordFailure()
            self.failWaiting(with: .connectFailed("\(error)"))
            return
        }
        self.state = .connected(connection, channel)
        connection.onClose = { [weak self, weak connection] in
            guard let self, let connection else { return }
            self.connectionClosed(connection)
        }
        for setup in self.setupCommands {
            self.sendSetup(setup, on: connection)
        }
        while let (command, promise) = self.waitingForConnection.popFirst() {
            connection.send(encoded: command, promise: promise)
        }
    }

    private func connectionClosed(_ connection: RedisConnection) {
        guard case .connected(let current, _) = self.state, current === connection else { return }
        self.state = .idle
        if connection.repliesReceived > 0 {
            self.failures = 0  // it worked: the backoff starts afresh
        }
        self.recordFailure()
    }

    private func sendSetup(_ setup: SetupCommand, on connection: RedisConnection) {
        let promise = self.eventLoop.makePromise(of: RESPValue.self)
        promise.futureResult.assumeIsolated().whenComplete(setup.onReply)
        connection.send(encoded: setup.command, promise: promise)
    }

    /// Counts a failure and sets when the next attempt may start.
    private func recordFailure() {
        self.failures += 1
        let maximum = self.configuration.maximumBackoff.nanoseconds
        var backoff = min(maximum, self.configuration.initialBackoff.nanoseconds)
        for _ in 1..<min(self.failures, 64) where backoff < maximum {
            backoff = min(maximum, backoff * 2)
        }
        self.retryAt = .now() + .nanoseconds(backoff)
    }

    private func failWaiting(with error: RedisClientError) {
        while let (_, promise) = self.waitingForConnection.popFirst() {
            promise.fail(error)
        }
    }
}

@available(*, unavailable)
extension RedisClient: Sendable {}
