public import NIOCore
import NIOHPACK
public import NIOHTTP1
public import NIOHTTP2

/// One HTTP/2 stream of a client connection: the only handler of a stream channel that
/// swift-nio-http2's multiplexer opens for each request.
///
/// It drives one ``ForwardingSession``, the same the HTTP/1 connection drives: the HEADERS frame
/// becomes a ``ClientRequestHead`` (``HTTP2RequestTranslator``), DATA frames the body's pieces,
/// END_STREAM its end; the session's ``ClientResponseHead``, body and end go back as HEADERS
/// and DATA frames (``HTTP2ResponseTranslator``). ``HTTP2StreamStateMachine`` decides what each
/// frame means and whether a refusal is answered or resets the stream.
///
/// Flow control is backpressure: the stream reads (and swift-nio-http2 opens the stream's window
/// with WINDOW_UPDATE) only while the session takes request bytes, so a client can send no
/// more than the window ahead of its target; a stream whose client takes nothing stops reading
/// its target, and after `send_timeout` without progress it is reset.
public final class HTTP2StreamConnection: ChannelDuplexHandler {
    public typealias InboundIn = HTTP2Frame.FramePayload
    public typealias OutboundIn = HTTP2Frame.FramePayload
    public typealias OutboundOut = HTTP2Frame.FramePayload

    private let limits: RequestLimits
    private let serverHeader: String?
    private let timers: LoopTimers
    private let session: ForwardingSession
    private let clientAddress: String?
    /// Told when the send timeout resets the stream.
    private let onDefence: (HTTP2Defence) -> Void
    /// Given the session back when the stream ends with its request finished, for the
    /// connection's next stream.
    private let onFinished: (ForwardingSession) -> Void
    private var machine: HTTP2StreamStateMachine
    private var context: ChannelHandlerContext?
    /// The response's HEADERS and its last DATA wait for the next part, so the last frame
    /// carries END_STREAM (a small response is one HEADERS and one DATA frame).
    private var pendingHead: HPACKHeaders?
    private var pendingBody: ByteBuffer?
    private var readPending = false
    private var bodyTimer: LazyTimer?
    private var sendTimer: LazyTimer?

    /// - Parameters:
    ///   - clientAddress: The connection's peer IP address (one lookup per connection).
    ///   - onDefence: Counts a defence that fired on this stream (the send timeout).
    ///   - onFinished: Takes the session when the stream ends with its request finished (it
    ///     keeps it for the next stream, or calls `clientClosed()` on it).
    public init(
        limits: RequestLimits,
        serverHeader: String?,
        timers: LoopTimers,
        session: ForwardingSession,
        clientAddress: String?,
        onDefence: @escaping (HTTP2Defence) -> Void,
        onFinished: @escaping (ForwardingSession) -> Void
    ) {
        self.limits = limits
        self.serverHeader = serverHeader
        self.timers = timers
        self.session = session
        self.clientAddress = clientAddress
        self.onDefence = onDefence
        self.onFinished = onFinished
        self.machine = HTTP2StreamStateMachine(maxBodyBytes: limits.bodyBytes)
    }

    // MARK: Channel events

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.session.client = self
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        if self.session.isReusable {
            self.session.client = nil
            self.onFinished(self.session)
        } else {
            self.session.clientClosed()
            self.session.client = nil
        }
        self.bodyTimer?.cancel()
        self.sendTimer?.cancel()
        self.pendingHead = nil
        self.pendingBody = nil
        self.context = nil
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.bodyTimer?.disarm()
        self.sendTimer?.disarm()
        if !self.session.isReusable {
            self.session.clientClosed()  // a request in flight is abandoned
        }
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .headers(let headers):
            self.headersReceived(headers, context: context)
        case .data(let data):
            guard case .byteBuffer(let bytes) = data.data else { return }
            self.perform(self.machine.dataReceived(count: bytes.readableBytes, endStream: data.endStream), body: bytes, context: context)
        default:
            break  // RST_STREAM closes the channel (and the session hears of it); the rest is the connection's
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        self.session.clientReadComplete()
        context.fireChannelReadComplete()
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
                    self.onDefence(.sendTimeout)
                    self.session.clientSendTimedOut()
                    context.close(promise: nil)  // RST_STREAM: this stream only
                }
            }
        }
        context.fireChannelWritabilityChanged()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // A stream error: swift-nio-http2 has reset the stream and closes the channel.
        context.close(promise: nil)
    }

    // MARK: Outbound

    public func read(context: ChannelHandlerContext) {
        guard self.session.wantsRequestBytes else {
            self.readPending = true
            // Not the client's delay: the body timeout waits while we hold its bytes back.
            self.bodyTimer?.disarm()
            return
        }
        context.read()
    }

    // MARK: Requests

    private func headersReceived(_ frame: HTTP2Frame.FramePayload.Headers, context: ChannelHandlerContext) {
        guard self.machine.request == .awaitingHeaders else {
            let action = self.machine.headersReceived(endStream: frame.endStream, declaredLength: nil)
            if case .endRequest = action {
                // Trailers: they go on to an h2c target (an HTTP/1.1 target gets none).
                self.bodyTimer?.disarm()
                self.session.requestEnd(trailers: H2CMessageTranslator.trailers(frame.headers))
                return
            }
            self.perform(action, body: nil, context: context)
            return
        }
        let head: ClientRequestHead
        do {
            head = try HTTP2RequestTranslator.translate(frame.headers, endStream: frame.endStream, limits: self.limits)
        } catch {
            if error.status == .requestHeaderFieldsTooLarge {
                self.onDefence(.headerListTooLarge)
            }
            self.session.requestRejected(error, version: HTTP2RequestTranslator.version)
            self.perform(self.machine.headRefused(error, endStream: frame.endStream), body: nil, context: context)
            return
        }
        var declared: Int?
        if case .contentLength(let length) = head.facts.framing { declared = length }
        switch self.machine.headersReceived(endStream: frame.endStream, declaredLength: declared) {
        case .startRequest(let endStream):
            self.session.requestHead(head)
            if endStream {
                self.session.requestEnd()
            } else {
                self.armBodyTimer()
            }
        case let other:
            self.perform(other, body: nil, context: context)
        }
    }

    private func perform(_ action: HTTP2StreamStateMachine.Action, body: ByteBuffer?, context: ChannelHandlerContext) {
        switch action {
        case .startRequest, .ignore:
            break
        case .forwardBody(let endStream):
            if let body, body.readableBytes > 0 {
                self.session.requestBody(body)
            }
            if endStream {
                self.bodyTimer?.disarm()
                self.session.requestEnd()
            } else {
                self.armBodyTimer()
            }
        case .endRequest:
            self.bodyTimer?.disarm()
            self.session.requestEnd()
        case .refuse(let rejection):
            self.bodyTimer?.disarm()
            if self.session.isHandlingRequest {
                self.session.requestAborted(rejection)
            }
            self.writeRefusal(rejection)
        case .reset(let rejection):
            self.bodyTimer?.disarm()
            self.session.requestAborted(rejection)
            context.close(promise: nil)
        }
    }

    private func armBodyTimer() {
        self.bodyTimer.arm(in: self.limits.bodyTimeout, timers: self.timers) {
            {
                guard let context = self.context else { return }
                self.perform(self.machine.bodyTimedOut(), body: nil, context: context)
            }
        }
    }

    /// Our own short answer to a refused request, ending the stream.
    private func writeRefusal(_ rejection: RequestRejection) {
        let body = ErrorResponses.body(rejection.status, allocator: ByteBufferAllocator())
        let head = ErrorResponses.head(rejection.status, close: false, serverHeader: self.serverHeader, bodyLength: body.readableBytes)
        self.writeResponseHead(ClientResponseHead(status: head.status, version: HTTP2RequestTranslator.version, fields: head.headers))
        self.writeResponseBody(body)
        self.writeResponseEnd(trailers: nil)
        self.flushResponse()
    }

    private func write(_ payload: HTTP2Frame.FramePayload) {
        self.context?.write(self.wrapOutboundOut(payload), promise: nil)
    }

    /// Writes what waits, without ending the stream.
    private func writePending() {
        if let head = self.pendingHead {
            self.pendingHead = nil
            self.write(.headers(.init(headers: head)))
        }
        if let body = self.pendingBody {
            self.pendingBody = nil
            self.write(.data(.init(data: .byteBuffer(body))))
        }
    }
}

// MARK: - To the client

extension HTTP2StreamConnection: ForwardingSessionClient {
    public var isWritable: Bool { self.context?.channel.isWritable ?? false }

    public var peerAddress: String? { self.clientAddress }

    public func writeResponseHead(_ head: ClientResponseHead) {
        guard self.machine.response == .none else { return }
        self.machine.responseStarted()
        self.pendingHead = HTTP2ResponseTranslator.headers(for: head)
    }

    public func writeResponseBody(_ body: ByteBuffer) {
        guard self.machine.response == .started, body.readableBytes > 0 else { return }
        self.writePending()
        self.pendingBody = body
    }

    /// A stream's DATA frames carry bytes: files are read in chunks instead.
    public var takesFileRegions: Bool { false }

    public func writeResponseFile(_ region: FileRegion, promise: EventLoopPromise<Void>) {
        promise.fail(ChannelError.operationUnsupported)
    }

    public func writeResponseEnd(trailers: HTTPHeaders?) {
        guard self.machine.response == .started, let context = self.context else { return }
        self.machine.responseEnded()
        let trailerBlock = trailers.map(HTTP2ResponseTranslator.trailers)
        let last: HTTP2Frame.FramePayload
        if let head = self.pendingHead, self.pendingBody == nil, trailerBlock == nil {
            self.pendingHead = nil
            last = .headers(.init(headers: head, endStream: true))
        } else if let body = self.pendingBody, trailerBlock == nil {
            if let head = self.pendingHead {
                self.pendingHead = nil
                self.write(.headers(.init(headers: head)))
            }
            self.pendingBody = nil
            last = .data(.init(data: .byteBuffer(body), endStream: true))
        } else {
            self.writePending()
            if let trailerBlock {
                last = .headers(.init(headers: trailerBlock, endStream: true))
            } else {
                last = .data(.init(data: .byteBuffer(ByteBuffer()), endStream: true))
            }
        }
        guard self.machine.resetsAfterResponse else {
            self.write(last)
            return
        }
        // Answered before the client finished sending (a refusal, an early response): the rest
        // of its body is not wanted (RFC 9113 §8.1). The reset goes once the response's last
        // frame has (swift-nio-http2 drops DATA still waiting for window when a stream resets).
        let written = context.eventLoop.makePromise(of: Void.self)
        context.write(self.wrapOutboundOut(last), promise: written)
        context.flush()
        written.futureResult.assumeIsolated().whenSuccess {
            guard let context = self.context else { return }
            context.writeAndFlush(self.wrapOutboundOut(.rstStream(.noError)), promise: nil)
        }
    }

    public func flushResponse() {
        self.writePending()
        self.context?.flush()
    }

    public func resumeRequestReads() {
        guard self.readPending, let context = self.context, self.session.wantsRequestBytes else { return }
        self.readPending = false
        if self.machine.isReadingBody {
            self.armBodyTimer()
        }
        context.read()
    }

    public func startTunnel() {
        // Never reached: an HTTP/2 request carries no Upgrade (the translator refuses it).
        self.closeConnection()
    }

    public func writeTunnel(_ bytes: ByteBuffer) {}

    /// Resets this stream (the response cannot be finished); the connection's other streams go on.
    public func closeConnection() {
        self.context?.close(promise: nil)
    }
}

@available(*, unavailable)
extension HTTP2StreamConnection: Sendable {}
