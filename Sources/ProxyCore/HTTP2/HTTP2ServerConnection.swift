public import Logging
public import NIOCore
public import NIOHTTP2

/// The connection-level part of an HTTP/2 client connection, after swift-nio-http2's handler
/// (which owns frames, HPACK, flow control and the stream multiplexer):
///
/// ```
/// [TLSServerHandler,] HTTP2FlushBatcher ─ NIOHTTP2Handler ─ HTTP2ServerConnection
///                                          (each stream: HTTP2StreamConnection)
/// ```
///
/// - gives each new stream its ``HTTP2StreamConnection`` and ``ForwardingSession`` with the
///   listener's current settings (a reload's ``ListenerReloadedEvent`` changes them for the
///   streams that follow; a stream in flight finishes as it began);
/// - counts its open streams, closes the connection after `limits.idle_timeout` without one;
/// - shuts down gracefully: on ``ChannelShouldQuiesceEvent`` (shutdown, a listener removed) a
///   GOAWAY names the last stream it took, those streams finish, then the connection closes;
/// - counts what swift-nio-http2 reports (``HTTP2Defence``) and, after a connection error
///   (swift-nio-http2 has sent the GOAWAY with its code by then), closes the connection after a
///   short linger (``lingerThenClose(context:)``).
public final class HTTP2ServerConnection: ChannelDuplexHandler {
    public typealias InboundIn = HTTP2Frame
    public typealias InboundOut = HTTP2Frame
    public typealias OutboundIn = HTTP2Frame
    public typealias OutboundOut = HTTP2Frame

    private var settings: ListenerSettings
    private let loop: ProxyLoop
    private let connectionInfo: ClientConnectionInfo
    private let logger: Logger
    private var context: ChannelHandlerContext?
    private var clientAddress: String?
    private var counted = false
    private var openStreams = 0
    private var lastStreamID = HTTP2StreamID(0)
    private var goingAway = false
    /// A connection error ended it: reading on, dropping, until ``lingerThenClose(context:)`` closes.
    private var lingering = false
    private var idleTimer: LazyTimer?
    /// Sessions whose stream finished, for the next streams: one session serves many requests
    /// one after the other, as on an HTTP/1 connection (cleared by a reload: they hold the old
    /// settings).
    private var idleSessions: [ForwardingSession] = []

    public init(settings: ListenerSettings, loop: ProxyLoop, connectionInfo: ClientConnectionInfo, logger: Logger) {
        self.settings = settings
        self.loop = loop
        self.connectionInfo = connectionInfo
        self.logger = logger
    }

    /// Sets up a stream channel the multiplexer opened for a client's stream (on this loop).
    public func initializeStream(_ channel: any Channel) throws {
        let session =
            self.idleSessions.popLast()
            ?? ForwardingSession(settings: self.settings, loop: self.loop, connectionInfo: self.connectionInfo, logger: self.logger)
        let listener = self.settings.name
        let observer = self.loop.observer
        let maxIdle = Self.maxIdleSessions
        try channel.pipeline.syncOperations.addHandler(
            HTTP2StreamConnection(
                limits: self.settings.limits,
                serverHeader: self.settings.serverHeader,
                timers: self.loop.timers,
                session: session,
                clientAddress: self.clientAddress,
                onDefence: { defence in observer?.http2DefenceFired(listener: listener, defence: defence) },
                onFinished: { [weak self] session in
                    guard let self, self.context != nil, self.idleSessions.count < maxIdle else {
                        session.clientClosed()  // not kept: its timer's cycle ends here
                        return
                    }
                    self.idleSessions.append(session)
                }
            )
        )
    }

    /// A bound on the sessions a connection keeps between its streams (above the default
    /// `max_concurrent_streams`, so a busy connection makes no new ones).
    private static let maxIdleSessions = 128

    // MARK: Channel events

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.idleTimer = LazyTimer(timers: self.loop.timers) {
            guard let context = self.context, self.openStreams == 0 else { return }
            self.goAway(context: context)
        }
        if context.channel.isActive {
            self.started(context: context)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.dropIdleSessions()
        self.stopped()
        self.idleTimer?.cancel()
        self.idleTimer = nil
        self.context = nil
    }

    public func channelActive(context: ChannelHandlerContext) {
        self.started(context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.stopped()
        self.idleTimer?.disarm()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if self.lingering { return }
        if case .goAway = self.unwrapInboundIn(data).payload {
            // The client opens no more streams: answer those it has, then close.
            self.goAway(context: context)
        }
        context.fireChannelRead(data)
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let reloaded as ListenerReloadedEvent:
            self.settings = reloaded.settings
            self.dropIdleSessions()
        case is ChannelShouldQuiesceEvent:
            self.goAway(context: context)
        case let event as ChannelEvent where event == .inputClosed:
            self.goAway(context: context)  // the client sends no more: answer what it asked, then close
        default:
            break
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if error is NIOHTTP2Errors.IOOnClosedConnection || self.lingering {
            // A frame after the connection quiesced (its last stream done after our GOAWAY), or
            // more of what ended it: the connection is closing already.
            return
        }
        let (defence, closes) = HTTP2Defence.classify(error)
        self.loop.observer?.http2DefenceFired(listener: self.settings.name, defence: defence)
        if closes {
            self.logger.notice(
                "HTTP/2 connection error; closing",
                metadata: [
                    "client": "\(self.clientAddress ?? "unknown")", "listener": "\(self.settings.name)",
                    "reason": "\(defence.rawValue)", "error": "\(error)",
                ]
            )
            self.lingerThenClose(context: context)
        }
    }

    /// How long a connection ended by an error goes on reading (and dropping) what the client
    /// still sends before it closes.
    static let lingerTime = TimeAmount.seconds(1)

    /// Closes a connection whose GOAWAY (swift-nio-http2's, with the error's code) is written,
    /// after a short linger, as nginx's lingering close: closing a socket with unread bytes sends
    /// a TCP reset, and a client still sending (an attack in full flow) would then lose the
    /// GOAWAY before reading it. Meanwhile what arrives is read and dropped: swift-nio-http2 opens
    /// no stream after its GOAWAY, and further errors are not counted again.
    private func lingerThenClose(context: ChannelHandlerContext) {
        self.lingering = true
        context.flush()
        let loopBound = NIOLoopBound(context, eventLoop: context.eventLoop)
        context.eventLoop.scheduleTask(in: Self.lingerTime) {
            loopBound.value.close(promise: nil)
        }
    }

    // MARK: Streams

    /// swift-nio-http2's multiplexer opened a stream (the client's HEADERS).
    func streamOpened(_ id: HTTP2StreamID) {
        self.openStreams += 1
        if id > self.lastStreamID { self.lastStreamID = id }
        self.idleTimer?.disarm()
        self.loop.observer?.http2StreamChanged(listener: self.settings.name, open: true)
    }

    /// A stream closed (both sides ended, or reset).
    func streamClosed(_ id: HTTP2StreamID) {
        self.openStreams = max(0, self.openStreams - 1)
        self.loop.observer?.http2StreamChanged(listener: self.settings.name, open: false)
        guard self.openStreams == 0, let context = self.context else { return }
        if self.goingAway {
            self.closeAfterGoAway(context: context)
        } else {
            self.idleTimer?.arm(in: self.settings.limits.idleTimeout)
        }
    }

    /// What swift-nio-http2 calls as streams open and close (its inline multiplexer reports
    /// them here, not as pipeline events).
    public var streamDelegate: any NIOHTTP2StreamDelegate {
        StreamEvents(connection: NIOLoopBound(self, eventLoop: self.loop.eventLoop))
    }

    /// A class: swift-nio-http2 copies its delegate for every call, and a reference copies with
    /// one retain where a struct holding a `NIOLoopBound` copies field by field.
    private final class StreamEvents: NIOHTTP2StreamDelegate {
        let connection: NIOLoopBound<HTTP2ServerConnection>

        init(connection: NIOLoopBound<HTTP2ServerConnection>) {
            self.connection = connection
        }

        func streamCreated(_ id: HTTP2StreamID, channel: any Channel) {
            self.connection.value.streamOpened(id)
        }

        func streamClosed(_ id: HTTP2StreamID, channel: any Channel) {
            self.connection.value.streamClosed(id)
        }
    }

    /// Sessions are dropped the way a connection drops its own: `clientClosed()` cancels their
    /// timers (a timer's callback holds its session; the cycle ends there).
    private func dropIdleSessions() {
        for session in self.idleSessions {
            session.clientClosed()
        }
        self.idleSessions.removeAll()
    }

    // MARK: Lifecycle

    private func started(context: ChannelHandlerContext) {
        guard !self.counted else { return }
        self.counted = true
        self.clientAddress = self.connectionInfo.proxiedAddress ?? context.channel.remoteAddress?.ipAddress
        self.loop.observer?.http2ConnectionChanged(listener: self.settings.name, open: true)
        self.idleTimer?.arm(in: self.settings.limits.idleTimeout)
    }

    private func stopped() {
        guard self.counted else { return }
        self.counted = false
        self.loop.observer?.http2ConnectionChanged(listener: self.settings.name, open: false)
    }

    /// GOAWAY naming the last stream taken (NO_ERROR): those finish, later ones are refused,
    /// and the connection closes when none is open.
    private func goAway(context: ChannelHandlerContext) {
        guard !self.goingAway else { return }
        self.goingAway = true
        if self.openStreams == 0 {
            self.closeAfterGoAway(context: context)
        } else {
            context.writeAndFlush(self.wrapOutboundOut(self.goAwayFrame), promise: nil)
        }
    }

    private var goAwayFrame: HTTP2Frame {
        HTTP2Frame(streamID: .rootStream, payload: .goAway(lastStreamID: self.lastStreamID, errorCode: .noError, opaqueData: nil))
    }

    /// Closes once the (final) GOAWAY, and so every frame before it, has gone out: a close at
    /// once would drop the last stream's last frames.
    private func closeAfterGoAway(context: ChannelHandlerContext) {
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(self.wrapOutboundOut(self.goAwayFrame), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

@available(*, unavailable)
extension HTTP2ServerConnection: Sendable {}
