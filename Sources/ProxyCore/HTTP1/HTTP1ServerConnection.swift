public import NIOCore
public import NIOHTTP1

/// One client connection speaking HTTP/1: the only HTTP handler of a client pipeline
/// (`[TLSServerHandler, HTTP1ServerConnection]`, or this alone on a plain listener).
///
/// It owns, as values, everything between the bytes and the forwarding session:
/// - the request parser (``HTTP1Parser``, decision 0012), run on the bytes as they come;
/// - the timeouts (``ConnectionTimeoutStateMachine``: header, body, keep-alive idle, tunnel
///   idle) on one ``LazyTimer``, and the send timeout on a second one;
/// - the request guard (``RequestGuardStateMachine``: validation, one request at a time,
///   `100-continue`, keep-alive decisions, graceful quiescing);
/// - the response serializer (``HTTP1ResponseSerializer``).
///
/// It calls one typed delegate, its ``ForwardingSession``, with each request's head, body and
/// end, and takes the response back through ``ForwardingSessionClient``. Nothing crosses the
/// pipeline between them: no `NIOAny` box, no dynamic cast, no second transport.
///
/// Pipelining: once a request has been read to its end, the rest of the received bytes stay
/// unparsed until its response is complete (up to ``maxHeldBytes``; past that the socket is no
/// longer read). A `101` response turns the connection into a tunnel: the held bytes and
/// everything after them go to the session as they are.
public final class HTTP1ServerConnection: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = IOData
    public typealias OutboundOut = IOData

    /// Received bytes held unparsed while a response is written, above which reading stops.
    static let maxHeldBytes = 64 * 1024

    private let limits: RequestLimits
    private let serverHeader: String?
    private let timers: LoopTimers
    private let session: ForwardingSession
    /// A plain socket below (no TLS): a `FileRegion` goes to `sendfile` as it is.
    public let takesFileRegions: Bool
    private var parser: HTTP1Parser
    private var guardMachine: RequestGuardStateMachine
    private var timeouts = ConnectionTimeoutStateMachine()
    private var serializer = HTTP1ResponseSerializer()
    private var timer: LazyTimer?
    private var armed = ConnectionTimeoutStateMachine.Timer.header
    private var sendTimer: LazyTimer?
    private var context: ChannelHandlerContext?
    /// Received and not yet parsed; `nil` when there is nothing.
    private var received: ByteBuffer?
    private var decoding = false
    /// A request was read to its end: the bytes after it wait for its response.
    private var holdingForResponse = false
    private var readPending = false
    private var parserFailed = false
    private var tunnel = false
    /// The TCP peer's IP address, formatted once per connection (`nil` inside: not looked up yet).
    private var cachedPeerAddress: String??

    /// - Parameters:
    ///   - timers: The event loop's shared timers (``ProxyLoop/timers``).
    ///   - session: Takes the requests; this connection is its client from `handlerAdded` on.
    ///   - takesFileRegions: Whether the socket is plain (no TLS handler below this one).
    public init(limits: RequestLimits, serverHeader: String?, timers: LoopTimers, session: ForwardingSession, takesFileRegions: Bool = false) {
        self.takesFileRegions = takesFileRegions
        self.limits = limits
        self.serverHeader = serverHeader
        self.timers = timers
        self.session = session
        self.parser = HTTP1Parser(isRequest: true, maxHeadBytes: limits.headerBytes, maxFields: 256, keepsRawFields: true)
        self.guardMachine = RequestGuardStateMachine(maxBodyBytes: limits.bodyBytes)
    }

    // MARK: Channel events

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.session.client = self
        // Held strongly; the cycle (this → timer → callback → this) ends in `handlerRemoved`.
        self.timer = LazyTimer(timers: self.timers) {
            guard let context = self.context else { return }
            self.perform(self.timeouts.timerFired(self.armed), context: context)
        }
        if context.channel.isActive {
            self.perform(self.timeouts.connectionStarted(), context: context)
        }
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.session.clientClosed()
        self.session.client = nil
        self.timer?.cancel()
        self.sendTimer?.cancel()
        self.serializer.drop()
        self.received = nil
        self.context = nil
    }

    public func channelActive(context: ChannelHandlerContext) {
        self.perform(self.timeouts.connectionStarted(), context: context)
        context.fireChannelActive()
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.guardMachine.closed()
        self.timer?.disarm()
        self.sendTimer?.disarm()
        self.session.clientClosed()
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        self.perform(self.timeouts.bytesReceived(), context: context)
        if self.tunnel {
            self.session.tunnelReceived(bytes)
            return
        }
        if self.parserFailed {
            return
        }
        self.received.appendReceived(&bytes)
        if !self.decoding {
            self.decode(context: context)
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        self.session.clientReadComplete()
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        let writable = context.channel.isWritable
        self.session.clientWritabilityChanged(writable)
        if writable {
            self.sendTimer?.disarm()
        } else {
            self.sendTimer.arm(in: self.limits.sendTimeout, timers: self.timers) {
                {
                    guard let context = self.context, !context.channel.isWritable else { return }
                    self.session.clientSendTimedOut()
                    context.close(promise: nil)
                }
            }
        }
        context.fireChannelWritabilityChanged()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let reloaded = event as? ListenerReloadedEvent {
            switch self.session.reloaded(reloaded) {
            case .keep:
                break
            case .closeAfterResponse:
                if self.guardMachine.quiesce() {
                    context.close(promise: nil)
                }
            case .close:
                context.close(promise: nil)
            }
            return
        }
        // The client sent its last byte (half-close): answer what is in flight, then close;
        // an idle connection closes now. Like a server shutdown, seen from one connection.
        if event is ChannelShouldQuiesceEvent || (event as? ChannelEvent) == .inputClosed {
            if self.tunnel {
                if (event as? ChannelEvent) == .inputClosed {
                    self.session.tunnelClientInputClosed()
                }
                return
            }
            if (event as? ChannelEvent) == .inputClosed {
                self.inputEnded(context: context)
            }
            if self.guardMachine.quiesce() {
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.fireErrorCaught(error)
    }

    // MARK: Outbound

    public func read(context: ChannelHandlerContext) {
        if !self.mayRead {
            self.readPending = true
            // Not the client's delay: the body timeout waits while we hold its reads back.
            self.perform(self.timeouts.readsHeld(), context: context)
            return
        }
        context.read()
    }

    private var mayRead: Bool {
        if self.holdingForResponse && (self.received?.readableBytes ?? 0) >= Self.maxHeldBytes {
            return false
        }
        return self.session.wantsRequestBytes
    }

    // MARK: Parsing

    /// Parses what was received until the parser needs more bytes or a request was read to
    /// its end (its response comes first).
    private func decode(context: ChannelHandlerContext) {
        self.decoding = true
        defer { self.decoding = false }
        // The buffer stays in `received` while the loop runs, even when empty: the parser may
        // have an event that needs no more bytes (a body's end). Bytes that arrive during the
        // callbacks are appended to it, and the loop goes on with them.
        while !self.holdingForResponse, !self.tunnel, !self.parserFailed, var buffer = self.received {
            self.received = nil
            let event: HTTP1Parser.Event?
            do {
                event = try self.parser.next(&buffer)
            } catch {
                self.parseFailed(error, context: context)
                return
            }
            self.received = buffer
            guard let event else { break }
            self.handle(event, context: context)
        }
        if let rest = self.received {
            if rest.readableBytes == 0 {
                self.received = nil  // the next read's buffer is used as it is
            } else if self.holdingForResponse {
                self.received!.discardReadBytes()  // room for the next read's bytes after what is kept
            }
        }
    }

    private func handle(_ event: HTTP1Parser.Event, context: ChannelHandlerContext) {
        switch event {
        case .head:
            let parsed = self.parser.takeHead()
            let framing: HTTP1Parser.Framing
            do {
                framing = try RequestFraming.framing(of: parsed)
            } catch {
                self.parseFailed(error, context: context)
                return
            }
            self.parser.startBody(framing)
            let facts = RequestFraming.facts(of: parsed, framing: framing)
            let head = ClientRequestHead(
                method: parsed.method,
                target: parsed.uri,
                version: parsed.version,
                fields: HTTPHeaders(parsed.fields),
                facts: facts,
                upgrade: RequestFraming.upgrade(of: parsed)
            )
            self.requestHead(head, context: context)
        case .body(let body):
            switch self.guardMachine.requestBody(byteCount: body.readableBytes) {
            case .forward:
                self.perform(self.timeouts.bodyReceived(), context: context)
                self.session.requestBody(body)
            case let other:
                self.carryOut(other, context: context)
            }
        case .end:
            switch self.guardMachine.requestEnd() {
            case .forward:
                self.perform(self.timeouts.requestEnded(), context: context)
                self.holdingForResponse = true
                self.session.requestEnd()
            case let other:
                self.carryOut(other, context: context)
            }
        }
    }

    private func requestHead(_ head: ClientRequestHead, context: ChannelHandlerContext) {
        let action = self.guardMachine.requestHead(head.nioHead, facts: head.facts)
        switch action {
        case .forward, .forwardHeadSendingContinue:
            self.serializer.requestReceived(method: head.method)  // it will be answered
            self.perform(self.timeouts.headReceived(hasBody: head.facts.framing != .none), context: context)
            if case .forwardHeadSendingContinue = action {
                self.serializer.writeHead(ClientResponseHead(status: .continue), context: context)
                self.serializer.flush(context: context)
            }
            self.session.requestHead(head)
        case .reject:
            self.serializer.requestReceived(method: head.method)
            self.carryOut(action, context: context)
        default:
            self.carryOut(action, context: context)
        }
    }

    /// The guard's answer to a part it did not let through.
    private func carryOut(_ action: RequestGuardStateMachine.InboundAction, context: ChannelHandlerContext) {
        switch action {
        case .forward, .forwardHeadSendingContinue, .drop:
            break
        case .buffer:
            // Parsing stops at a request's end until its response is complete, so nothing is
            // ever held back as a part; if it were, dropping it would desynchronize: close.
            self.session.requestAborted(RequestRejection(.badRequest, "request part out of turn"))
            context.close(promise: nil)
        case .reject(let rejection, let abortSession):
            self.reject(rejection, abortSession: abortSession, context: context)
        case .close:
            self.session.requestAborted(RequestRejection(.badRequest, "aborted"))
            context.close(promise: nil)
        }
    }

    private func parseFailed(_ error: any Error, context: ChannelHandlerContext) {
        self.parserFailed = true
        self.received = nil
        self.perform(self.timeouts.refused(), context: context)
        let rejection: RequestRejection
        if let parseError = error as? HTTP1ParseError {
            rejection = parseError.headTooLarge
                ? RequestRejection(.requestHeaderFieldsTooLarge, "request head too large")
                : RequestRejection(.badRequest, "malformed request: \(parseError.reason)")
        } else {
            rejection = RequestRejection(.badRequest, "malformed request")
        }
        switch self.guardMachine.parserError(rejection) {
        case .reject(let rejection, let abortSession):
            self.reject(rejection, abortSession: abortSession, context: context)
        case .close:
            self.session.requestAborted(rejection)
            context.close(promise: nil)
        default:
            break
        }
    }

    /// The client sent its last byte: a message cut short is a malformed one.
    private func inputEnded(context: ChannelHandlerContext) {
        guard !self.parserFailed, !self.tunnel else { return }
        // Complete requests that arrived before the end are parsed first (a pipelined one whose
        // turn came just now), then what is left must not be a message cut short.
        if !self.holdingForResponse && !self.decoding && self.received != nil {
            self.decode(context: context)
        }
        guard !self.parserFailed, !self.holdingForResponse else { return }
        do {
            if self.parser.isMidMessage(self.received ?? ByteBuffer()) {
                _ = try self.parser.finish(self.received ?? ByteBuffer())
            }
        } catch {
            self.parseFailed(error, context: context)
        }
    }

    /// Answers `rejection` ourselves and closes once it is written.
    private func reject(_ rejection: RequestRejection, abortSession: Bool, context: ChannelHandlerContext) {
        if abortSession {
            self.session.requestAborted(rejection)
        } else {
            self.session.requestRejected(rejection)
        }
        self.received = nil
        self.parserFailed = true
        self.perform(self.timeouts.refused(), context: context)  // one answer: no 408 after it
        let body = ErrorResponses.body(rejection.status, allocator: context.channel.allocator)
        let head = ErrorResponses.head(rejection.status, close: true, serverHeader: self.serverHeader, bodyLength: body.readableBytes)
        self.serializer.writeHead(ClientResponseHead(status: head.status, version: head.version, fields: head.headers), context: context)
        self.serializer.writeBody(.byteBuffer(body), context: context)
        let written = context.eventLoop.makePromise(of: Void.self)
        self.serializer.writeEnd(trailers: nil, context: context, promise: written)
        self.serializer.flush(context: context)
        written.futureResult.assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    // MARK: Timers

    private func perform(_ action: ConnectionTimeoutStateMachine.Action, context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .cancelTimer:
            self.timer?.disarm()
        case .startTimer(let which):
            self.armed = which
            let delay: TimeAmount
            switch which {
            case .header: delay = self.limits.headerTimeout
            case .body: delay = self.limits.bodyTimeout
            case .idle: delay = self.limits.idleTimeout
            case .tunnelIdle: delay = self.limits.tunnelIdleTimeout
            }
            self.timer?.arm(in: delay)
        case .headTimedOut:
            self.timer?.disarm()
            // Recorded by the session (access log, metrics); the answer is written here.
            self.session.requestRejected(RequestRejection(.requestTimeout, "request head not received in time"))
            self.parserFailed = true
            self.received = nil
            let response = ErrorResponses.raw(.requestTimeout, serverHeader: self.serverHeader, allocator: context.channel.allocator)
            context.writeAndFlush(self.wrapOutboundOut(.byteBuffer(response))).assumeIsolated().whenComplete { _ in
                context.close(promise: nil)
            }
        case .bodyTimedOut:
            self.timer?.disarm()
            let rejection = RequestRejection(.requestTimeout, "request body not received in time")
            self.carryOut(self.guardMachine.bodyTimedOut(rejection), context: context)
        case .closeIdle:
            self.timer?.disarm()
            if self.tunnel {
                self.session.tunnelClosedIdle()
            }
            context.close(promise: nil)
        }
    }
}

// MARK: - The session's client

extension HTTP1ServerConnection: ForwardingSessionClient {
    public var isWritable: Bool { self.context?.channel.isWritable ?? false }

    public var peerAddress: String? {
        if let cached = self.cachedPeerAddress { return cached }
        let address = self.session.proxiedAddress ?? self.context?.channel.remoteAddress?.ipAddress
        self.cachedPeerAddress = .some(address)
        return address
    }

    public func writeResponseHead(_ head: ClientResponseHead) {
        guard let context = self.context else { return }
        switch self.guardMachine.responseHead(status: head.status, hasContentLength: head.hasContentLength) {
        case .write(let connectionHeader):
            self.serializer.writeHead(head, connection: connectionHeader, context: context)
        }
    }

    public func writeResponseBody(_ body: ByteBuffer) {
        guard let context = self.context else { return }
        self.serializer.writeBody(.byteBuffer(body), context: context)
    }

    public func writeResponseFile(_ region: FileRegion, promise: EventLoopPromise<Void>) {
        guard let context = self.context, self.takesFileRegions else {
            promise.fail(ChannelError.operationUnsupported)
            return
        }
        self.serializer.writeBody(.fileRegion(region), context: context, promise: promise)
    }

    public func writeResponseEnd(trailers: HTTPHeaders?) {
        guard let context = self.context else { return }
        let action = self.guardMachine.responseEnd()
        self.serializer.writeEnd(trailers: trailers, context: context)
        self.perform(self.timeouts.responseCompleted(), context: context)
        switch action {
        case .closeAfterWrite:
            self.received = nil
            self.closeAfterPendingWrites(context: context)
        case .nextRequest:
            self.holdingForResponse = false
            self.resumeAfterResponse(context: context)
        }
    }

    public func flushResponse() {
        guard let context = self.context else { return }
        self.serializer.flush(context: context)
    }

    public func resumeRequestReads() {
        guard let context = self.context, self.readPending, self.mayRead else { return }
        self.readPending = false
        self.perform(self.timeouts.readsResumed(), context: context)
        context.read()
    }

    public func startTunnel() {
        guard let context = self.context else { return }
        self.guardMachine.tunnelStarted()
        self.tunnel = true
        self.serializer.flush(context: context)
        self.perform(self.timeouts.tunnelStarted(), context: context)
        self.holdingForResponse = false
        if let held = self.received, held.readableBytes > 0 {
            self.received = nil
            self.session.tunnelReceived(held)
        }
        self.received = nil
        if self.readPending && self.mayRead {
            self.readPending = false
            context.read()
        }
    }

    public func writeTunnel(_ bytes: ByteBuffer) {
        guard let context = self.context else { return }
        self.perform(self.timeouts.tunnelBytesSent(), context: context)
        context.write(self.wrapOutboundOut(.byteBuffer(bytes)), promise: nil)
    }

    public func closeConnection() {
        guard let context = self.context else { return }
        self.closeAfterPendingWrites(context: context)
    }

    /// Closes once what was written has gone out (a close at once would drop it: the end of a
    /// close-delimited body, a tunnel's last bytes). A client that never takes it is closed by the
    /// send timeout.
    private func closeAfterPendingWrites(context: ChannelHandlerContext) {
        self.serializer.writeHeldHead(context: context)
        let written = context.eventLoop.makePromise(of: Void.self)
        context.writeAndFlush(self.wrapOutboundOut(.byteBuffer(context.channel.allocator.buffer(capacity: 0))), promise: written)
        written.futureResult.assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// After a response: parse what arrived meanwhile (after the current call returns, so the
    /// session is not re-entered), and read on.
    private func resumeAfterResponse(context: ChannelHandlerContext) {
        if self.decoding {
            return  // the running loop goes on with the held bytes
        }
        // The usual keep-alive case: nothing arrived early and reading never stopped.
        guard self.received != nil || self.readPending else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        context.eventLoop.execute {
            let (connection, context) = loopBound.value
            guard connection.context != nil else { return }
            if connection.received != nil && !connection.decoding {
                connection.decode(context: context)
                connection.session.clientReadComplete()  // like the end of a socket read
            }
            if connection.readPending && connection.mayRead {
                connection.readPending = false
                context.read()
            }
        }
    }
}

@available(*, unavailable)
extension HTTP1ServerConnection: Sendable {}
