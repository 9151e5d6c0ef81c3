import NIOCore
import NIOHTTP1

/// One keep-alive HTTP/1.1 connection to a target: the last handler of the upstream pipeline.
///
/// While leased, everything the target sends goes to the ``UpstreamConnectionDelegate`` (the
/// client connection's ``ProxyHandler``); while idle in the ``UpstreamPool`` nothing is expected,
/// and anything that arrives closes it.
///
/// > Important: Event-loop bound. The pool hands it only to handlers on the same loop.
final class UpstreamConnection: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundIn = UpstreamRequestPart
    typealias OutboundOut = UpstreamRequestPart

    let target: Target
    let channel: any Channel
    /// The proxy handler the connection is leased to. Not counted (a weak reference would give
    /// the handler a side table, and every retain of it the slow path): the handler clears it
    /// whenever it gives the connection back, drops it or loses it, and in `deinit`.
    unowned(unsafe) var delegate: (any UpstreamConnectionDelegate)?
    weak var pool: UpstreamPool?
    /// How many requests this connection has carried; `> 1` means it was reused.
    var requestCount = 0
    private(set) var isClosed = false
    private var context: ChannelHandlerContext?
    /// The encoder right below (the response decoder between them only reads), handed the
    /// request parts directly; `nil`: they go through the pipeline.
    var encoder: HTTP1RequestEncoder?
    private var holdReads = false
    private var readPending = false
    /// While idle in the pool: when it is closed for having been idle too long.
    var idleDeadline = NIODeadline.distantFuture

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
        self.encoder = nil  // it links to the decoder, which links back here
    }

    // MARK: Used by the proxy

    func send(_ part: UpstreamRequestPart, promise: EventLoopPromise<Void>? = nil) {
        guard let context = self.context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        if let encoder = self.encoder {
            encoder.write(part, promise: promise)
        } else {
            context.write(self.wrapOutboundOut(part), promise: promise)
        }
    }

    func flush() {
        if let encoder = self.encoder {
            encoder.flush()  // the next outbound handler: the decoder between only reads
        } else {
            self.context?.flush()
        }
    }

    /// Stops reading from the target until ``resumeReading()``: the client is not keeping up.
    func pauseReading() {
        self.holdReads = true
    }

    func resumeReading() {
        self.holdReads = false
        if self.readPending, let context = self.context {
            self.readPending = false
            self.passRead(context: context)
        }
    }

    func close() {
        guard !self.isClosed else { return }
        self.channel.close(promise: nil)
    }

    // MARK: ChannelHandler

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.received(self.unwrapInboundIn(data), context: context)
    }

    /// What the response head being handed to the delegate says about keeping this connection
    /// open, as the parser noted it; `nil` when the head came through the pipeline.
    private(set) var responseKeepAlive: Bool?
    /// Which of that head's fields the response rewriter may copy without looking at their
    /// names (``FieldHints``); `nil` when unknown.
    private(set) var responseFieldHints: FieldHints?

    /// That head's field lines as received, and whether a `Content-Length` was among them
    /// (``RawResponseFields``); `nil` when unknown. A head with lines came without fields:
    /// they are read from the lines when needed (``RawFieldLines/headers(of:)``).
    private(set) var responseRawFields: (block: ByteBuffer, hasContentLength: Bool)?

    /// A part from the ``UpstreamResponseDecoder`` right below, which calls this instead of
    /// firing it through the pipeline (decision 0012); the rest with a head.
    func receiveDecoded(
        _ part: HTTPClientResponsePart,
        keepAlive: Bool?,
        hints: FieldHints? = nil,
        rawFields: ByteBuffer? = nil,
        hasContentLength: Bool = false
    ) {
        guard let context = self.context else { return }
        self.responseKeepAlive = keepAlive
        self.responseFieldHints = hints
        self.responseRawFields = rawFields.map { ($0, hasContentLength) }
        self.received(part, context: context)
        self.responseKeepAlive = nil
        self.responseFieldHints = nil
        self.responseRawFields = nil
    }

    private func received(_ part: HTTPClientResponsePart, context: ChannelHandlerContext) {
        guard let delegate = self.delegate else {
            // Bytes on an idle connection: the target is confused or closing. Never reuse it.
            context.close(promise: nil)
            return
        }
        delegate.upstream(self, received: part)
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        self.delegate?.upstreamReadComplete(self)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.delegate?.upstreamWritabilityChanged(self, isWritable: context.channel.isWritable)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.markClosed(error: nil)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.markClosed(error: error)
        context.close(promise: nil)
    }

    func read(context: ChannelHandlerContext) {
        if self.holdReads {
            self.readPending = true
        } else {
            self.passRead(context: context)
        }
    }

    /// Passes a read on below: past the linked encoder, which has nothing to do with reads (the
    /// decoder between them only reads), or through the pipeline.
    private func passRead(context: ChannelHandlerContext) {
        if let encoder = self.encoder {
            encoder.passRead()
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

extension UpstreamConnection: ReadCompleteReceiver {
    func receiveReadComplete() {
        guard let context = self.context else { return }
        self.channelReadComplete(context: context)
    }
}

@available(*, unavailable)
extension UpstreamConnection: Sendable {}
