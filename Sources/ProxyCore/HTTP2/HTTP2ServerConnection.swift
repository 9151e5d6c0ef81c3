public import Logging
public import NIOCore
public import NIOHTTP2

/// An HTTP/2 client connection after swift-nio-http2's handler, which owns frames, HPACK and the
/// protocol's state and flow-control accounting and, without a stream multiplexer, passes every
/// frame on as an ``HTTP2Frame`` value:
///
/// ```
/// [TLSServerHandler,] HTTP2FlushBatcher ─ NIOHTTP2Handler ─ HTTP2ServerConnection
///                                                            (its streams: HTTP2ServerStream)
/// ```
///
/// - keeps the table of its open streams: a client's HEADERS on a new stream id attaches an
///   ``HTTP2ServerStream`` (with its ``ForwardingSession``, both kept for the next streams, with
///   the listener's current settings), the stream's frames go to it, swift-nio-http2's
///   `StreamClosedEvent` ends it (decision 0034: no stream channel per stream);
/// - sends the WINDOW_UPDATEs: the connection's as swift-nio-http2 reports its window, a
///   stream's as its session takes the request's bytes (``HTTP2InboundWindow``);
/// - tells its streams when the socket's writability changes; flushes once per read;
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

    /// The window sizes the connection keeps open for the client (`http2.connection_window`,
    /// `http2.initial_window`).
    public struct Windows: Sendable, Equatable {
        public var connection: Int
        public var stream: Int

        public init(connection: Int, stream: Int) {
            self.connection = connection
            self.stream = stream
        }
    }

    private var settings: ListenerSettings
    private let loop: ProxyLoop
    private let connectionInfo: ClientConnectionInfo
    private let logger: Logger
    private let windows: Windows
    private var context: ChannelHandlerContext?
    private(set) var clientAddress: String?
    private var counted = false
    private var streams: [HTTP2StreamID: HTTP2ServerStream] = [:]
    /// Streams whose stream ended with their session idle, for the next streams: one session
    /// serves many requests one after the other, as on an HTTP/1 connection (cleared by a
    /// reload: they hold the old settings).
    private var idleStreams: [HTTP2ServerStream] = []
    /// Counts the listener's settings (a reload changes them): a stream made with earlier
    /// ones (in flight during a reload) is not kept for the next streams.
    private var settingsGeneration = 0
    /// Streams that had a frame in the current read: they hear of its end.
    private var readStreams: [HTTP2ServerStream] = []
    private var connectionWindow: HTTP2InboundWindow
    private var lastStreamID = HTTP2StreamID(0)
    private var goingAway = false
    /// A connection error ended it: reading on, dropping, until ``lingerThenClose(context:)`` closes.
    private var lingering = false
    /// Within a read: a flush waits for its end.
    private var reading = false
    private var flushAtReadComplete = false
    private(set) var isWritable = true
    private var idleTimer: LazyTimer?

    public init(settings: ListenerSettings, loop: ProxyLoop, connectionInfo: ClientConnectionInfo, windows: Windows, logger: Logger) {
        self.settings = settings
        self.loop = loop
        self.connectionInfo = connectionInfo
        self.windows = windows
        self.logger = logger
        self.connectionWindow = HTTP2InboundWindow(target: windows.connection)
    }

    var eventLoop: any EventLoop { self.loop.eventLoop }

    /// A bound on the streams (and sessions) a connection keeps between its streams (above the
    /// default `max_concurrent_streams`, so a busy connection makes no new ones).
    private static let maxIdleStreams = 128

    /// The open streams' count.
    var openStreams: Int { self.streams.count }

    // MARK: Channel events

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.isWritable = context.channel.isWritable
        self.idleTimer = LazyTimer(timers: self.loop.timers) {
            guard let context = self.context, self.streams.isEmpty else { return }
            self.goAway(context: context)
        }
        if context.channel.isActive {
            self.started(context: context)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.endStreams()
        self.dropIdleStreams()
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
        self.endStreams()
        self.stopped()
        self.idleTimer?.disarm()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if self.lingering { return }
        self.reading = true
        let frame = self.unwrapInboundIn(data)
        switch frame.payload {
        case .headers, .data:
            let known = self.streams[frame.streamID]
            guard let stream = known ?? self.openedIfHeaders(frame) else { return }
            if !stream.readInThisRead {
                stream.readInThisRead = true
                self.readStreams.append(stream)
            }
            stream.received(frame.payload)
        case .goAway:
            // The client opens no more streams: answer those it has, then close.
            self.goAway(context: context)
        default:
            break  // RST_STREAM ends its stream through swift-nio-http2's StreamClosedEvent; the rest is swift-nio-http2's
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        self.reading = false
        var index = 0
        while index < self.readStreams.count {
            self.readStreams[index].readComplete()
            index += 1
        }
        self.readStreams.removeAll(keepingCapacity: true)
        if self.flushAtReadComplete {
            self.flushAtReadComplete = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.isWritable = context.channel.isWritable
        for stream in self.streams.values {
            stream.writabilityChanged()
        }
        context.fireChannelWritabilityChanged()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        switch event {
        case let window as NIOHTTP2WindowUpdatedEvent:
            guard let size = window.inboundWindowSize else { break }
            if window.streamID == .rootStream {
                if let increment = self.connectionWindow.sizeChanged(to: size) {
                    self.sendConnectionWindowUpdate(increment)
                }
            } else {
                self.streams[window.streamID]?.inboundWindowChanged(to: size)
            }
        case let closed as StreamClosedEvent:
            self.streamClosed(closed.streamID)
        case let change as NIOHTTP2BulkStreamWindowChangeEvent:
            for stream in self.streams.values {
                stream.initialWindowChanged(by: change.delta)
            }
        case let reloaded as ListenerReloadedEvent:
            self.settings = reloaded.settings
            self.settingsGeneration &+= 1
            self.dropIdleStreams()
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
        // What comes here is the client's: without a stream multiplexer swift-nio-http2 (1.46)
        // reports a stream error of an inbound frame as its underlying error after it has reset
        // the stream itself, and a frame of ours it refuses only by failing that write's promise
        // (``writeRefused(_:error:)``), never here.
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

    /// A client's HEADERS on a new stream id opens a stream (swift-nio-http2 checked that it
    /// may); anything else for a stream we do not know (it ended here) is dropped.
    private func openedIfHeaders(_ frame: HTTP2Frame) -> HTTP2ServerStream? {
        guard case .headers = frame.payload else { return nil }
        let id = frame.streamID
        let stream =
            self.idleStreams.popLast()
            ?? HTTP2ServerStream(
                session: ForwardingSession(settings: self.settings, loop: self.loop, connectionInfo: self.connectionInfo, logger: self.logger),
                limits: self.settings.limits,
                serverHeader: self.settings.serverHeader,
                timers: self.loop.timers,
                windowTarget: self.windows.stream,
                settingsGeneration: self.settingsGeneration
            )
        self.streams[id] = stream
        if id > self.lastStreamID { self.lastStreamID = id }
        self.idleTimer?.disarm()
        self.loop.observer?.http2StreamChanged(listener: self.settings.name, open: true)
        stream.attach(id: id, to: self)
        return stream
    }

    /// A stream closed (both sides ended, or reset).
    private func streamClosed(_ id: HTTP2StreamID) {
        guard let stream = self.streams.removeValue(forKey: id) else { return }
        if stream.detach(), self.context != nil, stream.settingsGeneration == self.settingsGeneration,
            self.idleStreams.count < Self.maxIdleStreams
        {
            self.idleStreams.append(stream)
        } else {
            stream.drop()
        }
        self.loop.observer?.http2StreamChanged(listener: self.settings.name, open: false)
        guard self.streams.isEmpty, let context = self.context else { return }
        if self.goingAway {
            self.closeAfterGoAway(context: context)
        } else {
            self.idleTimer?.arm(in: self.settings.limits.idleTimeout)
        }
    }

    /// The connection went: every open stream ends (its session hears its client went).
    private func endStreams() {
        let open = self.streams
        self.streams.removeAll()
        for stream in open.values {
            _ = stream.detach()
            stream.drop()
            self.loop.observer?.http2StreamChanged(listener: self.settings.name, open: false)
        }
        self.readStreams.removeAll()
    }

    /// Sessions are dropped the way a connection drops its own: `clientClosed()` cancels their
    /// timers (a timer's callback holds its session; the cycle ends there).
    private func dropIdleStreams() {
        for stream in self.idleStreams {
            stream.drop()
        }
        self.idleStreams.removeAll()
    }

    // MARK: For the streams

    func write(_ payload: HTTP2Frame.FramePayload, stream: HTTP2StreamID, promise: EventLoopPromise<Void>?) {
        guard let context = self.context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.write(self.wrapOutboundOut(HTTP2Frame(streamID: stream, payload: payload)), promise: promise)
    }

    /// Sends what was written: at the end of the current read, or now (the flush batcher below
    /// makes the flushes of one event-loop pass one).
    func flush() {
        if self.reading {
            self.flushAtReadComplete = true
        } else {
            self.context?.flush()
        }
    }

    /// WINDOW_UPDATE for `stream`; `written` completes when it has gone (or failed), so its
    /// window computes the next one only then (``HTTP2InboundWindow``). None while lingering
    /// after a connection error: what comes is dropped, its window is not opened.
    func sendWindowUpdate(_ increment: Int, stream: HTTP2StreamID, written: EventLoopPromise<Void>) {
        if self.lingering {
            written.fail(ChannelError.ioOnClosedChannel)
            return
        }
        self.write(.windowUpdate(windowSizeIncrement: increment), stream: stream, promise: written)
        self.flush()
    }

    private func sendConnectionWindowUpdate(_ increment: Int) {
        let written = self.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenComplete { _ in
            guard self.context != nil, let next = self.connectionWindow.updateWritten() else { return }
            self.sendConnectionWindowUpdate(next)
        }
        self.sendWindowUpdate(increment, stream: .rootStream, written: written)
    }

    /// RST_STREAM for stream `id`: swift-nio-http2 then closes it (``streamClosed(_:)``).
    func resetStream(_ id: HTTP2StreamID, code: HTTP2ErrorCode) {
        self.write(.rstStream(code), stream: id, promise: nil)
        self.flush()
    }

    /// swift-nio-http2 refused a frame of ours on stream `id` (its write failed): the stream
    /// cannot go on, so it is reset (INTERNAL_ERROR) and logged; no client defence is counted,
    /// the fault is ours. A stream closing fails the writes it dropped with `StreamClosed`
    /// before its `StreamClosedEvent`: that is its end, not a refusal.
    func writeRefused(_ id: HTTP2StreamID, error: any Error) {
        // Not refusals: a stream that closed, and a connection that closed (swift-nio-http2 and
        // the channel fail what they still hold with `ChannelError`, as when a client goes away
        // mid-download): nothing to reset, and nothing to warn about.
        guard !(error is NIOHTTP2Errors.StreamClosed), !(error is ChannelError), self.streams[id] != nil else { return }
        self.logger.warning(
            "HTTP/2 frame refused by the protocol state; resetting its stream",
            metadata: [
                "client": "\(self.clientAddress ?? "unknown")", "listener": "\(self.settings.name)",
                "stream": "\(id)", "error": "\(error)",
            ]
        )
        self.resetStream(id, code: .internalError)
    }

    func defenceFired(_ defence: HTTP2Defence) {
        self.loop.observer?.http2DefenceFired(listener: self.settings.name, defence: defence)
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
        if self.streams.isEmpty {
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
