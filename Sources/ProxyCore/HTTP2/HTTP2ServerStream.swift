import NIOCore
import NIOHPACK
import NIOHTTP1
import NIOHTTP2

/// One HTTP/2 stream of a client connection, driven by its ``HTTP2ServerConnection`` from the
/// connection's frames (no stream channel, no pipeline: decision 0034).
///
/// It drives one ``ForwardingSession``, the same the HTTP/1 connection drives: the HEADERS frame
/// becomes a ``ClientRequestHead`` (``HTTP2RequestTranslator``), DATA frames the body's pieces,
/// END_STREAM its end; the session's ``ClientResponseHead``, body and end go back as HEADERS
/// and DATA frames (``HTTP2ResponseTranslator``). ``HTTP2StreamStateMachine`` decides what each
/// frame means and whether a refusal is answered or resets the stream.
///
/// Flow control is backpressure: while the session takes no request bytes, the stream holds
/// the frames that come and counts them as not consumed (``HTTP2InboundWindow``), so its window
/// runs out and the client can send no more than the window ahead of its target; a stream
/// whose response bytes do not leave (``HTTP2OutboundBacklog``) stops reading its target, and
/// after `send_timeout` without progress it is reset.
///
/// A stream and its session serve one stream after another on their connection (``attach(id:to:)``),
/// as an HTTP/1 connection's session serves one request after another: no allocation per stream.
///
/// > Important: Event-loop bound: its connection's loop.
final class HTTP2ServerStream {
    private(set) var id = HTTP2StreamID(0)
    let session: ForwardingSession
    private let limits: RequestLimits
    private let serverHeader: String?
    private let timers: LoopTimers
    private let windowTarget: Int
    /// Its connection's settings generation when it was made (with their limits and server header).
    let settingsGeneration: Int
    /// Set while attached to a stream of the connection; cleared when that stream ends.
    private var connection: HTTP2ServerConnection?
    private var machine: HTTP2StreamStateMachine
    private var window: HTTP2InboundWindow
    private var backlog = HTTP2OutboundBacklog()
    /// Counts attachments: a write's completion for an earlier stream is ignored.
    private var generation = 0
    /// The response's HEADERS and its last DATA wait for the next part, so the last frame
    /// carries END_STREAM (a small response is one HEADERS and one DATA frame).
    private var pendingHead: HPACKHeaders?
    private var pendingBody: ByteBuffer?
    /// Frames held while the session takes no request bytes, in order.
    private var held = CircularBuffer<HTTP2Frame.FramePayload>()
    private var releasing = false
    /// What the session was last told of ``isWritable``.
    private var reportedWritable = true
    /// Something was written since the last flush.
    private var unflushed = false
    /// On the connection's list of streams that read in the current read.
    var readInThisRead = false
    private var bodyTimer: LazyTimer?
    private var sendTimer: LazyTimer?

    init(session: ForwardingSession, limits: RequestLimits, serverHeader: String?, timers: LoopTimers, windowTarget: Int, settingsGeneration: Int) {
        self.settingsGeneration = settingsGeneration
        self.session = session
        self.limits = limits
        self.serverHeader = serverHeader
        self.timers = timers
        self.windowTarget = windowTarget
        self.machine = HTTP2StreamStateMachine(maxBodyBytes: limits.bodyBytes)
        self.window = HTTP2InboundWindow(target: windowTarget)
    }

    /// Takes the client's stream `id` (its HEADERS came) on `connection`.
    func attach(id: HTTP2StreamID, to connection: HTTP2ServerConnection) {
        self.id = id
        self.connection = connection
        self.generation &+= 1
        self.machine = HTTP2StreamStateMachine(maxBodyBytes: self.limits.bodyBytes)
        self.window = HTTP2InboundWindow(target: self.windowTarget)
        self.backlog = HTTP2OutboundBacklog()
        self.reportedWritable = connection.isWritable
        self.session.client = self
    }

    /// The stream ended (both sides, or reset, or the connection went): whether its session
    /// can serve another stream. If not, the connection ``drop()``s it.
    func detach() -> Bool {
        self.connection = nil
        self.bodyTimer?.disarm()
        self.sendTimer?.disarm()
        self.pendingHead = nil
        self.pendingBody = nil
        self.held.removeAll(keepingCapacity: true)
        self.unflushed = false
        self.readInThisRead = false
        guard self.session.isReusable else { return false }
        self.session.client = nil
        return true
    }

    /// The stream and its session are dropped for good: a request in flight is abandoned, and
    /// their timers end (their callbacks hold them).
    func drop() {
        self.bodyTimer?.cancel()
        self.sendTimer?.cancel()
        self.bodyTimer = nil
        self.sendTimer = nil
        self.session.clientClosed()
        self.session.client = nil
    }

    // MARK: Frames from the client

    /// A frame of this stream (HEADERS, DATA; the others are the connection's business).
    func received(_ payload: HTTP2Frame.FramePayload) {
        if Self.endsStream(payload) {
            // Before it is held: releasing held bytes later must not open a half-closed stream.
            self.window.remoteEnded()
        }
        if self.machine.request != .awaitingHeaders, !self.held.isEmpty || !self.session.wantsRequestBytes {
            // Not the client's delay: the body timeout waits while we hold its bytes back.
            self.bodyTimer?.disarm()
            if case .data(let data) = payload {
                self.window.held(data.data.readableBytes)
            }
            self.held.append(payload)
            return
        }
        self.handle(payload)
    }

    private static func endsStream(_ payload: HTTP2Frame.FramePayload) -> Bool {
        switch payload {
        case .data(let data): data.endStream
        case .headers(let headers): headers.endStream
        default: false
        }
    }

    /// swift-nio-http2's count of the stream's inbound window after a frame.
    func inboundWindowChanged(to size: Int) {
        if let increment = self.window.sizeChanged(to: size) {
            self.sendWindowUpdate(increment)
        }
    }

    func initialWindowChanged(by delta: Int) {
        if let increment = self.window.initialSizeChanged(by: delta) {
            self.sendWindowUpdate(increment)
        }
    }

    /// Sends `increment` for this stream; once written, the window may want the next one.
    private func sendWindowUpdate(_ increment: Int) {
        guard let connection = self.connection else { return }
        let written = connection.eventLoop.makePromise(of: Void.self)
        let generation = self.generation
        written.futureResult.assumeIsolated().whenComplete { _ in
            guard self.generation == generation, self.connection != nil, let next = self.window.updateWritten() else { return }
            self.sendWindowUpdate(next)
        }
        connection.sendWindowUpdate(increment, stream: self.id, written: written)
    }

    /// The connection's end of a read.
    func readComplete() {
        self.readInThisRead = false
        self.session.clientReadComplete()
    }

    private func handle(_ payload: HTTP2Frame.FramePayload) {
        switch payload {
        case .headers(let headers):
            self.headersReceived(headers)
        case .data(let data):
            guard case .byteBuffer(let bytes) = data.data else { return }
            self.perform(self.machine.dataReceived(count: bytes.readableBytes, endStream: data.endStream), body: bytes)
        default:
            break
        }
    }

    private func headersReceived(_ frame: HTTP2Frame.FramePayload.Headers) {
        guard self.machine.request == .awaitingHeaders else {
            let action = self.machine.headersReceived(endStream: frame.endStream, declaredLength: nil)
            if case .endRequest = action {
                // Trailers: they go on to an h2c target (an HTTP/1.1 target gets none).
                self.bodyTimer?.disarm()
                self.session.requestEnd(trailers: H2CMessageTranslator.trailers(frame.headers))
                return
            }
            self.perform(action, body: nil)
            return
        }
        let head: ClientRequestHead
        do {
            head = try HTTP2RequestTranslator.translate(frame.headers, endStream: frame.endStream, limits: self.limits)
        } catch {
            if error.status == .requestHeaderFieldsTooLarge {
                self.connection?.defenceFired(.headerListTooLarge)
            }
            self.session.requestRejected(error, version: HTTP2RequestTranslator.version)
            self.perform(self.machine.headRefused(error, endStream: frame.endStream), body: nil)
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
            self.perform(other, body: nil)
        }
    }

    private func perform(_ action: HTTP2StreamStateMachine.Action, body: ByteBuffer?) {
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
            self.reset(.cancel)
        }
    }

    private func armBodyTimer() {
        self.bodyTimer.arm(in: self.limits.bodyTimeout, timers: self.timers) {
            {
                guard self.connection != nil else { return }
                self.perform(self.machine.bodyTimedOut(), body: nil)
            }
        }
    }

    /// Resets this stream (RST_STREAM with `code`); its end comes back through ``detach()``.
    private func reset(_ code: HTTP2ErrorCode) {
        self.connection?.resetStream(self.id, code: code)
    }

    // MARK: Writability

    /// The connection's socket writability, or this stream's backlog, changed.
    func writabilityChanged() {
        let writable = self.isWritable
        guard self.connection != nil, writable != self.reportedWritable else { return }
        self.reportedWritable = writable
        self.session.clientWritabilityChanged(writable)
        if writable {
            self.sendTimer?.disarm()
        } else {
            self.sendTimer.arm(in: self.limits.sendTimeout, timers: self.timers) {
                {
                    guard let connection = self.connection, !self.isWritable else { return }
                    connection.defenceFired(.sendTimeout)
                    self.session.clientSendTimedOut()
                    self.reset(.cancel)  // this stream only
                }
            }
        }
    }

    // MARK: Writes

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
        guard let connection = self.connection else { return }
        self.unflushed = true
        if case .headers = payload {
            // A refused HEADERS would leave the client waiting for an answer that never comes.
            connection.write(payload, stream: self.id, promise: self.refusalWatch(on: connection))
            return
        }
        guard case .data(let data) = payload, let mark = self.backlog.wrote(data.data.readableBytes) else {
            connection.write(payload, stream: self.id, promise: nil)
            return
        }
        // Past the high watermark: this write's completion says how far the bytes have gone.
        let promise = connection.eventLoop.makePromise(of: Void.self)
        let generation = self.generation
        promise.futureResult.assumeIsolated().whenComplete { result in
            guard self.generation == generation else { return }
            switch result {
            case .success:
                guard self.backlog.completed(through: mark) else { return }
                self.writabilityChanged()
            case .failure(let error):
                // Not written: nothing drained. A stream that closes fails the writes it drops
                // before its StreamClosedEvent; reporting it writable then would have its target
                // resumed and DATA written on a closed stream.
                self.connection?.writeRefused(self.id, error: error)
            }
        }
        connection.write(payload, stream: self.id, promise: promise)
        self.writabilityChanged()
    }

    /// A write's promise whose failure (swift-nio-http2 refused the frame) resets this stream,
    /// if it is still the stream the write was for.
    private func refusalWatch(on connection: HTTP2ServerConnection) -> EventLoopPromise<Void> {
        let promise = connection.eventLoop.makePromise(of: Void.self)
        let generation = self.generation
        let id = self.id
        promise.futureResult.assumeIsolated().whenFailure { error in
            guard self.generation == generation, let connection = self.connection else { return }
            connection.writeRefused(id, error: error)
        }
        return promise
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

extension HTTP2ServerStream: ForwardingSessionClient {
    var isWritable: Bool { self.backlog.isWritable && (self.connection?.isWritable ?? false) }

    var peerAddress: String? { self.connection?.clientAddress }

    func writeResponseHead(_ head: ClientResponseHead) {
        guard self.machine.response == .none else { return }
        self.machine.responseStarted()
        self.pendingHead = HTTP2ResponseTranslator.headers(for: head)
    }

    func writeResponseBody(_ body: ByteBuffer) {
        guard self.machine.response == .started, body.readableBytes > 0 else { return }
        self.writePending()
        self.pendingBody = body
    }

    /// A stream's DATA frames carry bytes: files are read in chunks instead.
    var takesFileRegions: Bool { false }

    func writeResponseFile(_ region: FileRegion, promise: EventLoopPromise<Void>) {
        promise.fail(ChannelError.operationUnsupported)
    }

    func writeResponseEnd(trailers: HTTPHeaders?) {
        guard self.machine.response == .started, let connection = self.connection else { return }
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
            // The stream may end within this write (the client had ended its side): the flush
            // is asked for now, as the session's `flushResponse()` then finds no stream.
            self.write(last)
            self.unflushed = false
            connection.flush()
            return
        }
        // Answered before the client finished sending (a refusal, an early response): the rest
        // of its body is not wanted (RFC 9113 §8.1). The reset goes once the response's last
        // frame has (swift-nio-http2 drops DATA still waiting for window when a stream resets).
        let written = connection.eventLoop.makePromise(of: Void.self)
        let generation = self.generation
        // Counted as every DATA frame is.
        let mark: Int? = if case .data(let data) = last { self.backlog.wrote(data.data.readableBytes) } else { nil }
        self.unflushed = false
        connection.write(last, stream: self.id, promise: written)
        connection.flush()
        written.futureResult.assumeIsolated().whenComplete { result in
            guard self.generation == generation else { return }
            switch result {
            case .success:
                if let mark { _ = self.backlog.completed(through: mark) }
                self.reset(.noError)
            case .failure(let error): self.connection?.writeRefused(self.id, error: error)
            }
        }
    }

    func flushResponse() {
        self.writePending()
        guard self.unflushed, let connection = self.connection else { return }
        self.unflushed = false
        connection.flush()
    }

    func resumeRequestReads() {
        guard !self.releasing, self.connection != nil else { return }
        self.releasing = true
        defer { self.releasing = false }
        var released = 0
        var frames = 0
        while self.connection != nil, self.session.wantsRequestBytes, let payload = self.held.popFirst() {
            if case .data(let data) = payload {
                released += data.data.readableBytes
            }
            frames += 1
            self.handle(payload)
        }
        if released > 0, let increment = self.window.released(released) {
            self.sendWindowUpdate(increment)
        }
        if frames > 0, !self.readInThisRead {
            // The end of this "read": what went to the target leaves now (within the
            // connection's read it leaves at its end).
            self.session.clientReadComplete()
        }
        if self.held.isEmpty, self.machine.isReadingBody, self.connection != nil {
            self.armBodyTimer()
        }
    }

    func startTunnel() {
        // Never reached: an HTTP/2 request carries no Upgrade (the translator refuses it).
        self.closeConnection()
    }

    func writeTunnel(_ bytes: ByteBuffer) {}

    /// Resets this stream (the response cannot be finished); the connection's other streams go on.
    func closeConnection() {
        self.reset(.cancel)
    }
}

@available(*, unavailable)
extension HTTP2ServerStream: Sendable {}
