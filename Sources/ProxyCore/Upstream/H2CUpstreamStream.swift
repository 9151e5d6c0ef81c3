import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2

/// One request to an h2c target: the only handler of a stream channel on one of the loop's
/// ``H2CUpstreamConnection``s, and the session's ``UpstreamLink`` for the request.
///
/// The request head (encoded for HTTP/1.1 by the rewriter) becomes a HEADERS frame
/// (``H2CMessageTranslator``), held until the next part so a request without a body is one
/// HEADERS frame with END_STREAM; body parts become DATA frames; request trailers a last HEADERS
/// frame. The target's first final HEADERS is the response head, DATA its body, a later HEADERS
/// its trailers.
///
/// Backpressure: while paused the stream does not read, so swift-nio-http2 sends no
/// WINDOW_UPDATE and the target stops at the stream's window; the stream's writability follows
/// the target's window, and the session stops reading its client while it is not writable.
///
/// > Important: Event-loop bound (the connection's loop, which is the session's).
final class H2CUpstreamStream: ChannelDuplexHandler, UpstreamLink {
    typealias InboundIn = HTTP2Frame.FramePayload
    typealias OutboundIn = HTTP2Frame.FramePayload
    typealias OutboundOut = HTTP2Frame.FramePayload

    let target: Target
    weak var connection: H2CUpstreamConnection?
    var delegate: (any UpstreamConnectionDelegate)?
    /// Every stream counts as a fresh exchange: a failure of the connection under it is told by
    /// GOAWAY or REFUSED_STREAM (``UpstreamStreamRefused``), not guessed from reuse.
    var requestCount: Int { 1 }
    private var context: ChannelHandlerContext?
    private var heldHeaders: HPACKHeaders?
    private var responseStarted = false
    private var responseEnded = false
    private var requestEnded = false
    private var holdReads = false
    private var readPending = false
    private var isClosed = false
    /// Why the stream closed, if swift-nio-http2 said (before `channelInactive`).
    private var closeError: (any Error)?

    init(target: Target) {
        self.target = target
    }

    var isWritable: Bool { self.context?.channel.isWritable ?? false }

    // MARK: ChannelHandler

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.heldHeaders = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .headers(let frame):
            self.headersReceived(frame, context: context)
        case .data(let frame):
            guard self.responseStarted, !self.responseEnded else {
                self.fail(H2CMessageTranslator.TranslationError.missingStatus, context: context)
                return
            }
            if case .byteBuffer(let bytes) = frame.data, bytes.readableBytes > 0 {
                self.delegate?.upstream(self, receivedBody: bytes)
            }
            if frame.endStream {
                self.responseEnded = true
                self.delegate?.upstreamReceivedEnd(self, trailers: nil)
            }
        default:
            break  // RST_STREAM is reported as an error (errorCaught); the rest is swift-nio-http2's
        }
    }

    private func headersReceived(_ frame: HTTP2Frame.FramePayload.Headers, context: ChannelHandlerContext) {
        if self.responseStarted {
            guard frame.endStream, !self.responseEnded else {
                self.fail(H2CMessageTranslator.TranslationError.missingStatus, context: context)
                return
            }
            self.responseEnded = true
            self.delegate?.upstreamReceivedEnd(self, trailers: H2CMessageTranslator.trailers(frame.headers))
            return
        }
        let head: UpstreamResponseHead
        do {
            guard let final = try H2CMessageTranslator.responseHead(frame.headers) else { return }  // 1xx
            head = final
        } catch {
            self.fail(error, context: context)
            return
        }
        self.responseStarted = true
        self.delegate?.upstream(self, receivedHead: head)
        if frame.endStream, !self.responseEnded {
            self.responseEnded = true
            self.delegate?.upstreamReceivedEnd(self, trailers: nil)
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.delegate?.upstreamReadComplete(self)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.delegate?.upstreamWritabilityChanged(self, isWritable: context.channel.isWritable)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if !self.responseStarted, let refused = Self.refusal(error, goAwayLastStreamID: self.connection?.goAwayLastStreamID) {
            self.closeError = refused
        } else if self.closeError == nil {
            self.closeError = error
        }
        context.close(promise: nil)
    }

    /// Whether `error` says the target never processed the stream (RFC 9113 §8.7): reset with
    /// REFUSED_STREAM, or closed while above the last stream id of the target's GOAWAY
    /// (swift-nio-http2 closes those with CANCEL: only the GOAWAY tells them apart from a reset),
    /// or its HEADERS written after the GOAWAY (swift-nio-http2 refuses to open it).
    static func refusal(_ error: any Error, goAwayLastStreamID: HTTP2StreamID?) -> UpstreamStreamRefused? {
        if let closed = error as? NIOHTTP2Errors.StreamClosed {
            if closed.errorCode == .refusedStream { return UpstreamStreamRefused(reason: .refusedStream) }
            if let last = goAwayLastStreamID, closed.streamID > last { return UpstreamStreamRefused(reason: .goAway) }
            return nil
        }
        if error is NIOHTTP2Errors.CreatedStreamAfterGoaway { return UpstreamStreamRefused(reason: .goAway) }
        return nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.markClosed()
    }

    func read(context: ChannelHandlerContext) {
        if self.holdReads {
            self.readPending = true
        } else {
            context.read()
        }
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        self.closeError = error
        context.close(promise: nil)
    }

    private func markClosed() {
        guard !self.isClosed else { return }
        self.isClosed = true
        let delegate = self.delegate
        self.delegate = nil
        guard !self.responseEnded else { return }
        delegate?.upstream(self, closedWith: self.closeError ?? ChannelError.eof)
    }

    // MARK: UpstreamLink

    func send(_ part: UpstreamRequestPart, promise: EventLoopPromise<Void>?) {
        guard let context = self.context, !self.isClosed else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch part {
        case .head(let head):
            do {
                self.heldHeaders = try H2CMessageTranslator.requestHeaders(head)
            } catch {
                promise?.fail(error)
                self.fail(error, context: context)
                return
            }
            promise?.succeed()
        case .body(let body):
            self.writeHeld(context: context)
            guard case .byteBuffer(let bytes) = body else {
                promise?.fail(ChannelError.operationUnsupported)
                return
            }
            context.write(self.wrapOutboundOut(.data(.init(data: .byteBuffer(bytes)))), promise: promise)
        case .end(let trailers):
            guard !self.requestEnded else {
                promise?.succeed()
                return
            }
            self.requestEnded = true
            if let trailers, !trailers.isEmpty {
                self.writeHeld(context: context)
                let block = H2CMessageTranslator.requestTrailers(trailers)
                context.write(self.wrapOutboundOut(.headers(.init(headers: block, endStream: true))), promise: promise)
            } else if let held = self.heldHeaders {
                self.heldHeaders = nil
                self.writeHeaders(held, endStream: true, promise: promise, context: context)
            } else {
                context.write(self.wrapOutboundOut(.data(.init(data: .byteBuffer(ByteBuffer()), endStream: true))), promise: promise)
            }
        }
    }

    private func writeHeld(context: ChannelHandlerContext) {
        guard let held = self.heldHeaders else { return }
        self.heldHeaders = nil
        self.writeHeaders(held, endStream: false, promise: nil, context: context)
    }

    /// Writes the request's HEADERS. A stream opened before the target's GOAWAY but whose
    /// HEADERS come after it has no stream id yet, so the GOAWAY did not close it: swift-nio-http2
    /// refuses the HEADERS (failing only their promise), and the stream fails as not processed.
    private func writeHeaders(_ headers: HPACKHeaders, endStream: Bool, promise: EventLoopPromise<Void>?, context: ChannelHandlerContext) {
        let written = promise ?? context.eventLoop.makePromise(of: Void.self)
        written.futureResult.assumeIsolated().whenFailure { error in
            guard !self.isClosed, !self.responseStarted, let context = self.context,
                let refused = Self.refusal(error, goAwayLastStreamID: nil)
            else { return }
            self.fail(refused, context: context)
        }
        context.write(self.wrapOutboundOut(.headers(.init(headers: headers, endStream: endStream))), promise: written)
    }

    func flush() {
        guard let context = self.context else { return }
        self.writeHeld(context: context)
        context.flush()
    }

    /// A shared connection takes no per-client preamble (the configuration refuses
    /// `proxy_protocol` with `protocol: h2c`).
    func sendPreamble(_ bytes: ByteBuffer) {}

    /// An HTTP/2 stream switches no protocols: no `101` reaches the session.
    func sendTunnel(_ bytes: ByteBuffer) {}
    func startTunnel() {}
    func shutdownOutput() {}

    func pauseReading() {
        self.holdReads = true
    }

    func resumeReading() {
        self.holdReads = false
        if self.readPending, let context = self.context {
            self.readPending = false
            context.read()
        }
    }

    /// Resets the stream (`RST_STREAM` CANCEL); the connection's other streams go on.
    func close() {
        self.delegate = nil
        guard !self.isClosed, let context = self.context else { return }
        context.close(promise: nil)
    }

    func release(reusable: Bool, settings: UpstreamSettings) {
        self.delegate = nil
        self.resumeReading()
        // A stream whose both sides ended closes by itself; one cut short is reset.
        if !(reusable && self.responseEnded && self.requestEnded) {
            self.close()
        }
    }
}

@available(*, unavailable)
extension H2CUpstreamStream: Sendable {}
