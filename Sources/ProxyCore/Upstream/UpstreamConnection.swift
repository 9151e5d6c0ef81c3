import NIOCore
import NIOHTTP1

/// One keep-alive HTTP/1.1 connection to a target: the only handler of an upstream pipeline.
///
/// It owns, as values, the response parser (``HTTP1Parser``, the one client requests go
/// through too) and the request writer (heads come encoded, ``UpstreamRequestHead``; a head
/// waits for the next part, ``HeldHead``, so a small body with a length goes out in the same
/// buffer). A response's framing depends on the request it answers (RFC 9112 §6.3): responses
/// to `HEAD` and `CONNECT`, `204` and `304` have no body; interim `1xx` responses are dropped (we
/// answer `100-continue` ourselves); a `101` answers an upgrade request and turns the connection
/// into a tunnel, and is an error after any other request; a response with neither
/// `Transfer-Encoding` nor `Content-Length` lasts until the connection closes.
///
/// While leased, everything the target sends goes to the ``UpstreamConnectionDelegate`` (the
/// client's ``ForwardingSession``); while idle in the ``UpstreamPool`` nothing is expected, and
/// anything that arrives closes it.
///
/// > Important: Event-loop bound. The pool hands it only to sessions on the same loop.
final class UpstreamConnection: ChannelDuplexHandler, RemovableChannelHandler, UpstreamLink {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = IOData
    typealias OutboundOut = IOData

    /// What a sent request expects of its response.
    private struct SentRequest {
        var method: HTTPMethod
        var upgrade: Bool
    }

    let target: Target
    let channel: any Channel
    /// The session the connection is leased to. Held strongly: the session clears it whenever
    /// it gives the connection back, drops it or loses it (and the connection when it closes),
    /// which ends the cycle.
    var delegate: (any UpstreamConnectionDelegate)?
    weak var pool: UpstreamPool?
    /// How many requests this connection has carried; `> 1` means it was reused.
    var requestCount = 0
    private(set) var isClosed = false
    private var context: ChannelHandlerContext?
    private var holdReads = false
    private var readPending = false
    /// While idle in the pool: when it is closed for having been idle too long.
    var idleDeadline = NIODeadline.distantFuture

    private var parser = HTTP1Parser.forTargetResponses()
    /// Requests sent and not yet answered, oldest first.
    private var sent = CircularBuffer<SentRequest>(initialCapacity: 2)
    /// Received and not yet parsed.
    private var received: ByteBuffer?
    private var decoding = false
    private var failed = false
    private var tunnel = false
    private var chunked = false
    private var heldHead = HeldHead()

    init(target: Target, channel: any Channel) {
        self.target = target
        self.channel = channel
    }

    var isWritable: Bool { self.channel.isWritable }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.heldHead.drop()
        self.received = nil
        self.delegate = nil
    }

    // MARK: Used by the session

    /// Writes a request part (flushed by ``flush()``).
    func send(_ part: UpstreamRequestPart, promise: EventLoopPromise<Void>? = nil) {
        guard let context = self.context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        switch part {
        case .head(let head):
            self.sent.append(SentRequest(method: head.method, upgrade: head.upgrade))
            self.heldHead.write(on: context)
            self.chunked = head.chunked
            if promise == nil {
                self.heldHead.hold(head.bytes)
            } else {
                context.write(self.wrapOutboundOut(.byteBuffer(head.bytes)), promise: promise)
            }
        case .body(let body):
            self.heldHead.writeBody(body, chunked: self.chunked, context: context, promise: promise)
        case .end:
            // HTTP/1.1 targets get no request trailers (only h2c streams carry them; docs/http2.md).
            self.heldHead.writeEnd(trailers: nil, chunked: self.chunked, context: context, promise: promise)
            self.chunked = false
        }
    }

    /// Bytes that go before the first request, as they are (a PROXY protocol header).
    func sendPreamble(_ bytes: ByteBuffer) {
        self.sendTunnel(bytes)
    }

    /// Bytes of an established tunnel, as they are.
    func sendTunnel(_ bytes: ByteBuffer) {
        guard let context = self.context else { return }
        context.write(self.wrapOutboundOut(.byteBuffer(bytes)), promise: nil)
    }

    func flush() {
        guard let context = self.context else { return }
        self.heldHead.write(on: context)
        context.flush()
    }

    /// The `101` was forwarded: what follows it, and everything after, is tunnel bytes.
    func startTunnel() {
        self.tunnel = true
        if let rest = self.received, rest.readableBytes > 0 {
            self.received = nil
            self.delegate?.upstream(self, receivedTunnelBytes: rest)
        }
        self.received = nil
    }

    /// Sends what is written, then half-closes the connection (a tunnel whose client stopped
    /// sending): the target sees the end of its input and may still answer.
    func shutdownOutput() {
        guard let context = self.context else { return }
        context.flush()
        context.close(mode: .output, promise: nil)
    }

    /// Stops reading from the target until ``resumeReading()``: the client is not keeping up.
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

    func close() {
        guard !self.isClosed else { return }
        self.channel.close(promise: nil)
    }

    func release(reusable: Bool, settings: UpstreamSettings) {
        guard let pool = self.pool else {
            self.delegate = nil
            self.close()
            return
        }
        pool.release(self, reusable: reusable, settings: settings)
    }

    // MARK: ChannelHandler

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        guard let delegate = self.delegate else {
            // Bytes on an idle connection: the target is confused or closing. Never reuse it.
            self.failed = true
            context.close(promise: nil)
            return
        }
        if self.tunnel {
            delegate.upstream(self, receivedTunnelBytes: bytes)
            return
        }
        guard !self.failed else { return }
        self.received.appendReceived(&bytes)
        if !self.decoding {
            self.decode(context: context)
        }
    }

    private func decode(context: ChannelHandlerContext) {
        self.decoding = true
        defer { self.decoding = false }
        do {
            // As on the client side: the buffer stays while the loop runs, even when empty (a
            // body's end needs no more bytes).
            while !self.tunnel, self.delegate != nil, var buffer = self.received {
                self.received = nil
                let event = try self.parser.next(&buffer)
                self.received = buffer
                guard let event else { break }
                try self.handle(event)
            }
            if self.received?.readableBytes == 0 {
                self.received = nil
            }
        } catch {
            self.fail(error, context: context)
            return
        }
        if self.delegate == nil, !self.tunnel, self.received != nil {
            // Bytes after the end of the response, in the same read: the target sent more than it
            // framed (a body on a HEAD answer, two answers to one request). Never reuse it.
            self.fail(HTTP1ParseError.malformed("bytes after the response"), context: context)
        }
    }

    /// Whether bytes that came after the last response wait unparsed (the connection must not be
    /// pooled: the next request would read them as its answer).
    var hasUnreadBytes: Bool { (self.received?.readableBytes ?? 0) > 0 }

    private func handle(_ event: HTTP1Parser.Event) throws {
        switch event {
        case .head:
            let head = self.parser.takeHead()
            guard let request = self.sent.first else {
                throw HTTP1ParseError.malformed("response without a request")
            }
            if head.status < 200 && head.status != 101 {
                self.parser.expectAnotherHead()  // interim: dropped, the response's head follows
                return
            }
            self.sent.removeFirst()
            let framing = try Self.framing(of: head, request: request)
            self.parser.startBody(framing)
            self.delegate?.upstream(
                self,
                receivedHead: UpstreamResponseHead(
                    status: HTTPResponseStatus(statusCode: head.status),
                    version: head.version,
                    keepAlive: head.isKeepAlive,
                    fieldHints: head.fieldHints,
                    rawFields: head.rawFields!,
                    hasContentLength: head.contentLength != nil
                )
            )
        case .body(let body):
            self.delegate?.upstream(self, receivedBody: body)
        case .end:
            self.delegate?.upstreamReceivedEnd(self, trailers: nil)
        }
    }

    static func framing(of head: HTTP1Head, method: HTTPMethod) throws -> HTTP1Parser.Framing {
        try Self.framing(of: head, request: SentRequest(method: method, upgrade: false))
    }

    private static func framing(of head: HTTP1Head, request: SentRequest) throws -> HTTP1Parser.Framing {
        if head.status == 101 {
            guard request.upgrade else {
                throw HTTP1ParseError.malformed("101 Switching Protocols without an upgrade request")
            }
            return .none  // the tunnel's bytes follow
        }
        if request.method.isHEAD || request.method.isCONNECT || head.status == 204 || head.status == 304 {
            return .none
        }
        switch head.transferCoding {
        case .absent:
            return head.contentLength.map { .length($0) } ?? .untilClose
        case .chunked:
            guard head.contentLength == nil else {
                throw HTTP1ParseError.malformed("both Content-Length and Transfer-Encoding")
            }
            return .chunked
        case .other:
            guard head.contentLength == nil else {
                throw HTTP1ParseError.malformed("both Content-Length and Transfer-Encoding")
            }
            return .untilClose
        case .invalid:
            throw HTTP1ParseError.malformed("Transfer-Encoding with chunked not last")
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.delegate?.upstreamReadComplete(self)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.delegate?.upstreamWritabilityChanged(self, isWritable: context.channel.isWritable)
    }

    func channelInactive(context: ChannelHandlerContext) {
        // A body that lasts until the close ends with it.
        if !self.tunnel, !self.failed, self.delegate != nil {
            do {
                if let event = try self.parser.finish(self.received ?? ByteBuffer()), case .end = event {
                    self.delegate?.upstreamReceivedEnd(self, trailers: nil)
                }
            } catch {
                self.markClosed(error: error)
                return
            }
        }
        self.markClosed(error: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.fail(error, context: context)
    }

    private func fail(_ error: any Error, context: ChannelHandlerContext) {
        self.failed = true
        self.received = nil
        self.markClosed(error: error)
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if self.holdReads {
            self.readPending = true
        } else {
            context.read()
        }
    }

    private func markClosed(error: (any Error)?) {
        guard !self.isClosed else { return }
        self.isClosed = true
        self.pool?.connectionClosed(self)
        let delegate = self.delegate
        self.delegate = nil
        delegate?.upstream(self, closedWith: error)
    }
}

@available(*, unavailable)
extension UpstreamConnection: Sendable {}
