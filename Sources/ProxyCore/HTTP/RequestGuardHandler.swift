public import NIOCore
public import NIOHTTP1

/// Stands between the HTTP/1 codec and the proxy: lets only valid requests through, one at a
/// time, and owns the client connection's keep-alive decisions.
///
/// - Validates each request head (``RequestValidator``) and answers `400`/`413`/`417` itself;
///   parser failures become `400` (or `431` for an oversized head). A refused request is never
///   passed on; one refused part-way (body over the limit) is abandoned with a
///   ``RequestAbortedEvent`` so the proxy never completes it upstream.
/// - Answers `Expect: 100-continue` itself.
/// - Holds back pipelined requests until the current response is complete. It keeps reading the
///   socket meanwhile (up to 64 KiB of pipelined data), so a keep-alive connection does not
///   unregister and re-register its read interest around every request (two `epoll_ctl` calls
///   each time); past that bound it stops reading.
/// - Adds `Connection: close` and closes after the response when the client asked for it, the
///   request was not fully read, or the server is shutting down (`ChannelShouldQuiesceEvent`).
/// - Tells the ``ConnectionTimeoutHandler`` below the codec about request phases (its
///   ``RequestPhaseObserver``).
///
/// In the server's pipeline its neighbours are linked to it (``ClientHTTPHandlers``, decision
/// 0010): the requests it lets through go to the ``RequestPartReceiver`` above by a direct call,
/// and the responses it writes go to the ``HTTP1ResponseEncoder`` below the same way; the
/// handler above hands it responses by ``writeResponse(_:promise:)``. Without the links, parts
/// travel through the pipeline as usual.
public final class RequestGuardHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPServerRequestPart
    public typealias InboundOut = HTTPServerRequestPart
    public typealias OutboundIn = HTTPServerResponsePart
    public typealias OutboundOut = HTTPServerResponsePart

    private var machine: RequestGuardStateMachine
    private let serverHeader: String?
    private let phaseObserver: (any RequestPhaseObserver)?
    private let responseEncoder: HTTP1ResponseEncoder?
    /// The handler right above, called directly with the parts let through. It links back to
    /// this one; the cycle ends when either leaves the pipeline.
    var receiver: (any RequestPartReceiver)?
    private var context: ChannelHandlerContext?
    /// Pipelined parts; usually none, so an array (an empty one allocates nothing, and every
    /// idle connection has one).
    private var buffered: [HTTPServerRequestPart] = [] {
        didSet { if self.buffered.isEmpty { self.bufferedBytes = 0 } }
    }
    /// Roughly what `buffered` holds: body bytes plus a fixed cost per head.
    private var bufferedBytes = 0
    private var readPending = false
    static let maxBufferedBytes = 64 * 1024
    private var replaying = false

    /// - Parameters:
    ///   - phaseObserver: Told when each request's head is in and its response written: the
    ///     connection's ``ConnectionTimeoutHandler``, or `nil` when there is none.
    ///   - responseEncoder: Told the method of each request that will be answered, so the
    ///     response to a `HEAD` is framed without a body, and handed the responses directly;
    ///     it must be the next outbound handler. `nil` with another encoder.
    public init(
        maxBodyBytes: Int?,
        serverHeader: String?,
        phaseObserver: (any RequestPhaseObserver)? = nil,
        responseEncoder: HTTP1ResponseEncoder? = nil
    ) {
        self.machine = RequestGuardStateMachine(maxBodyBytes: maxBodyBytes)
        self.serverHeader = serverHeader
        self.phaseObserver = phaseObserver
        self.responseEncoder = responseEncoder
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.receiver = nil
    }

    // MARK: Inbound

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = self.unwrapInboundIn(data)
        if !self.buffered.isEmpty && !self.replaying {
            self.enqueue(part)
            return
        }
        self.handle(part, wrapped: data, facts: nil, context: context)
    }

    /// A part from the ``HTTP1RequestDecoder`` right below, which calls this instead of firing
    /// it through the pipeline, with what its parser noted about a head's fields (so the head is
    /// validated without another pass over them; decision 0012).
    func receiveDecoded(_ part: HTTPServerRequestPart, facts: RequestFacts?) {
        guard let context = self.context else { return }
        if !self.buffered.isEmpty && !self.replaying {
            self.enqueue(part)
            return
        }
        self.handle(part, wrapped: nil, facts: facts, context: context)
    }

    /// - Parameters:
    ///   - wrapped: `part` as it arrived, passed on as it is (wrapping a part again allocates a
    ///     box); `nil` for a part replayed from the buffer or handed over directly.
    ///   - facts: A head's facts, when the parser gave them.
    private func handle(_ part: HTTPServerRequestPart, wrapped: NIOAny?, facts: RequestFacts?, context: ChannelHandlerContext) {
        let action: RequestGuardStateMachine.InboundAction
        switch part {
        case .head(let head):
            action = self.machine.requestHead(head, facts: facts)
            switch action {
            case .forward, .forwardHeadSendingContinue, .reject:
                self.responseEncoder?.requestReceived(method: head.method)  // it will be answered
            case .buffer, .drop, .close:
                break
            }
        case .body(let buffer): action = self.machine.requestBody(byteCount: buffer.readableBytes)
        case .end: action = self.machine.requestEnd()
        }
        switch action {
        case .forward:
            if case .head = part {
                self.phaseObserver?.requestPhase(.headReceived)
            }
            self.pass(part, wrapped: wrapped, facts: facts, context: context)
        case .forwardHeadSendingContinue:
            self.phaseObserver?.requestPhase(.headReceived)
            let continueHead = HTTPResponseHead(version: .http1_1, status: .continue)
            self.emit(.head(continueHead), context: context, promise: nil)
            context.flush()
            self.pass(part, wrapped: wrapped, facts: facts, context: context)
        case .buffer:
            self.enqueue(part)
        case .drop:
            break
        case .reject(let rejection, let abortProxy):
            self.reject(rejection, abortProxy: abortProxy, context: context)
        case .close:
            context.fireUserInboundEventTriggered(RequestAbortedEvent(rejection: RequestRejection(.badRequest, "aborted")))
            context.close(promise: nil)
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        if let receiver = self.receiver {
            receiver.receiveReadComplete()
        } else {
            context.fireChannelReadComplete()
        }
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let rejection: RequestRejection
        if let parseError = error as? HTTP1ParseError {
            rejection = parseError.headTooLarge
                ? RequestRejection(.requestHeaderFieldsTooLarge, "request head too large")
                : RequestRejection(.badRequest, "malformed request: \(parseError.reason)")
        } else if let parserError = error as? HTTPParserError {
            // From NIO's decoder, where one is used in its place.
            rejection = parserError == .headerOverflow
                ? RequestRejection(.requestHeaderFieldsTooLarge, "request head too large")
                : RequestRejection(.badRequest, "malformed request: \(parserError)")
        } else {
            context.fireErrorCaught(error)
            return
        }
        switch self.machine.parserError(rejection) {
        case .reject(let rejection, let abortProxy):
            self.reject(rejection, abortProxy: abortProxy, context: context)
        case .close:
            context.fireUserInboundEventTriggered(RequestAbortedEvent(rejection: rejection))
            context.close(promise: nil)
        default:
            break
        }
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        // The client sent its last byte (half-close): answer what is in flight, then close;
        // an idle connection closes now. Like a server shutdown, seen from one connection.
        if event is ChannelShouldQuiesceEvent || (event as? ChannelEvent) == .inputClosed {
            if self.machine.quiesce() && self.buffered.isEmpty {
                context.close(promise: nil)
            }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.machine.closed()
        self.buffered.removeAll()
        context.fireChannelInactive()
    }

    // MARK: Outbound

    public func read(context: ChannelHandlerContext) {
        if self.bufferedBytes >= Self.maxBufferedBytes {
            self.readPending = true
            return
        }
        self.passRead(context: context)
    }

    /// A read from the handler linked above (its direct call, as for writes).
    func readRequests() {
        guard let context = self.context else { return }
        self.read(context: context)
    }

    /// Passes a read on below: past the linked encoder, which has nothing to do with reads, or
    /// through the pipeline.
    private func passRead(context: ChannelHandlerContext) {
        if let encoder = self.responseEncoder {
            encoder.passRead()
        } else {
            context.read()
        }
    }

    private func enqueue(_ part: HTTPServerRequestPart) {
        self.bufferedBytes += Self.cost(of: part)
        self.buffered.append(part)
    }

    private func dequeue() -> HTTPServerRequestPart? {
        guard !self.buffered.isEmpty else { return nil }
        let part = self.buffered.removeFirst()
        self.bufferedBytes = max(0, self.bufferedBytes - Self.cost(of: part))
        return part
    }

    private static func cost(of part: HTTPServerRequestPart) -> Int {
        switch part {
        case .head(let head): 64 + head.uri.utf8.count + head.headers.reduce(0) { $0 + $1.name.utf8.count + $1.value.utf8.count + 4 }
        case .body(let buffer): buffer.readableBytes
        case .end: 16
        }
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.writeResponse(self.unwrapOutboundIn(data), context: context, promise: promise)
    }

    /// Writes a response part as if the handler above had written it through the pipeline: the
    /// direct call of the ``ProxyHandler`` (no `NIOAny` box and cast per part).
    func writeResponse(_ part: HTTPServerResponsePart, promise: EventLoopPromise<Void>?) {
        guard let context = self.context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        self.writeResponse(part, context: context, promise: promise)
    }

    /// Flushes what was written: the direct call of the ``ProxyHandler``, straight to the linked
    /// encoder (the guard has nothing of its own to flush).
    func flushResponse() {
        if let encoder = self.responseEncoder {
            encoder.flush()
        } else {
            self.context?.flush()
        }
    }

    /// Whether ``writeResponseHead(_:fields:)`` may be used: an encoder is linked below.
    var writesRawFields: Bool { self.responseEncoder != nil }

    /// Writes a response head whose target fields are written as received (`fields`), with
    /// `head` holding only the fields added to them: the direct call of the ``ProxyHandler``
    /// (decision 0012), when ``writesRawFields``.
    func writeResponseHead(_ head: HTTPResponseHead, fields: RawResponseFields) {
        guard self.context != nil, let encoder = self.responseEncoder else { return }
        var head = head
        switch self.machine.responseHead(head, hasContentLength: fields.hasContentLength) {
        case .write(let connectionHeader):
            if let connectionHeader {
                head.headers.add(name: "connection", value: connectionHeader)
            }
        }
        encoder.writeHead(head, fields: fields)
    }

    private func writeResponse(_ part: HTTPServerResponsePart, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        switch part {
        case .head(var head):
            switch self.machine.responseHead(head) {
            case .write(let connectionHeader):
                if let connectionHeader {
                    head.headers.replaceOrAdd(name: "connection", value: connectionHeader)
                }
            }
            self.emit(.head(head), context: context, promise: promise)
        case .body:
            self.emit(part, context: context, promise: promise)
        case .end:
            let action = self.machine.responseEnd()
            self.emit(part, context: context, promise: promise)
            self.phaseObserver?.requestPhase(.responseCompleted)
            switch action {
            case .closeAfterWrite:
                self.buffered.removeAll()
                context.flush()
                context.close(promise: nil)
            case .nextRequest:
                self.resume(context: context)
            }
        }
    }

    // MARK: Helpers

    /// Passes a request part up: to the linked receiver, or through the pipeline (`wrapped` as
    /// in ``handle(_:wrapped:context:)``).
    private func pass(_ part: HTTPServerRequestPart, wrapped: NIOAny?, facts: RequestFacts?, context: ChannelHandlerContext) {
        if let receiver = self.receiver {
            receiver.receiveRequestPart(part, facts: facts)
        } else {
            context.fireChannelRead(wrapped ?? self.wrapInboundOut(part))
        }
    }

    /// Writes a response part down: to the encoder, or through the pipeline.
    private func emit(_ part: HTTPServerResponsePart, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        if let encoder = self.responseEncoder {
            encoder.write(part, promise: promise)
        } else {
            context.write(self.wrapOutboundOut(part), promise: promise)
        }
    }

    /// Replays parts of a pipelined request that arrived early, then reads on.
    private func resume(context: ChannelHandlerContext) {
        // The usual keep-alive case: nothing arrived early and reading never stopped.
        guard !self.buffered.isEmpty || self.readPending else { return }
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        // After the current write call returns, so the response is written in order.
        context.eventLoop.execute {
            let (handler, context) = loopBound.value
            handler.replaying = true
            var replayed = false
            while !handler.machine.isHoldingReads, let part = handler.dequeue() {
                handler.handle(part, wrapped: nil, facts: nil, context: context)
                replayed = true
            }
            handler.replaying = false
            if replayed {
                // Like the end of a socket read: lets the proxy flush what it forwarded.
                handler.channelReadComplete(context: context)
            }
            if handler.readPending && handler.bufferedBytes < Self.maxBufferedBytes {
                handler.readPending = false
                handler.passRead(context: context)
            }
        }
    }

    private func reject(_ rejection: RequestRejection, abortProxy: Bool, context: ChannelHandlerContext) {
        if abortProxy {
            context.fireUserInboundEventTriggered(RequestAbortedEvent(rejection: rejection))
        } else {
            context.fireUserInboundEventTriggered(RequestRejectedEvent(rejection: rejection))
        }
        self.buffered.removeAll()
        let body = ErrorResponses.body(rejection.status, allocator: context.channel.allocator)
        let head = ErrorResponses.head(
            rejection.status,
            close: true,
            serverHeader: self.serverHeader,
            bodyLength: body.readableBytes
        )
        self.emit(.head(head), context: context, promise: nil)
        self.emit(.body(.byteBuffer(body)), context: context, promise: nil)
        let written = context.eventLoop.makePromise(of: Void.self)
        self.emit(.end(nil), context: context, promise: written)
        context.flush()
        written.futureResult.assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }
}

extension RequestGuardHandler: ReadCompleteReceiver {
    func receiveReadComplete() {
        guard let context = self.context else { return }
        self.channelReadComplete(context: context)
    }
}

@available(*, unavailable)
extension RequestGuardHandler: Sendable {}
