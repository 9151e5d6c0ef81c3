public import NIOCore
public import NIOHTTP1

/// Writes the requests sent to a target (replacing NIO's `HTTPRequestEncoder` on upstream
/// connections, in fewer and cheaper writes).
///
/// Heads come encoded (``UpstreamRequestHead``: written by the ``RequestHeaderRewriter``, framed
/// as NIO's encoder frames them) and go out as they are; the body is chunked when the head says
/// so.
///
/// The ``UpstreamConnection`` above it hands it the request parts by a direct call
/// (``write(_:promise:)``) rather than through the pipeline (decision 0010). A head written
/// without a promise waits for the next part (``HeldHead``), so a small body with a length goes
/// out in the same buffer.
public final class HTTP1RequestEncoder: ChannelOutboundHandler, RemovableChannelHandler {
    public typealias OutboundIn = UpstreamRequestPart
    public typealias OutboundOut = IOData

    private var chunked = false
    private let responseDecoder: UpstreamResponseDecoder?
    private(set) var context: ChannelHandlerContext?
    var heldHead = HeldHead()

    public convenience init() {
        self.init(responseDecoder: nil)
    }

    /// - Parameter responseDecoder: Told the method of each request written (its response is
    ///   framed by it).
    init(responseDecoder: UpstreamResponseDecoder?) {
        self.responseDecoder = responseDecoder
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
        self.heldHead.drop()
    }

    public func flush(context: ChannelHandlerContext) {
        self.flushHeldHead(context: context)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.write(self.unwrapOutboundIn(data), context: context, promise: promise)
    }

    func write(_ part: UpstreamRequestPart, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        switch part {
        case .head(let head):
            self.responseDecoder?.requestSent(method: head.method)
            self.heldHead.write(on: context)
            self.chunked = head.chunked
            if promise == nil {
                self.heldHead.hold(head.bytes)
            } else {
                context.write(self.wrapOutboundOut(.byteBuffer(head.bytes)), promise: promise)
            }
        case .body(let body):
            self.heldHead.writeBody(body, chunked: self.chunked, context: context, promise: promise)
        case .end(let trailers):
            self.heldHead.writeEnd(trailers: trailers, chunked: self.chunked, context: context, promise: promise)
            self.chunked = false
        }
    }
}

extension HTTP1RequestEncoder: HeldHeadEncoder {}

@available(*, unavailable)
extension HTTP1RequestEncoder: Sendable {}
