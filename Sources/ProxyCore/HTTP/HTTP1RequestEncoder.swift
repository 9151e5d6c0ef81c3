public import NIOCore
public import NIOHTTP1

/// Serializes the requests sent to a target (replacing NIO's `HTTPRequestEncoder` on upstream
/// connections, in fewer and cheaper writes).
///
/// The heads it gets were framed by ``RequestHeaderRewriter``: a body goes chunked exactly when
/// the head says `Transfer-Encoding` (only ever `chunked`), and is sent as it comes with
/// `Content-Length`. Like NIO's encoder, a `POST`, `PUT` or `PATCH` with neither is sent chunked
/// (an empty body: some servers refuse those methods without framing), and a `TRACE` never has a
/// body.
///
/// The ``UpstreamConnection`` above it hands it the request parts by a direct call
/// (``write(_:promise:)``) rather than through the pipeline (decision 0010). A head written
/// without a promise waits for the next part (``HeldHead``), so a small body with a length goes
/// out in the same buffer.
public final class HTTP1RequestEncoder: ChannelOutboundHandler, RemovableChannelHandler {
    public typealias OutboundIn = HTTPClientRequestPart
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

    func write(_ part: HTTPClientRequestPart, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        switch part {
        case .head(let head):
            self.responseDecoder?.requestSent(head)
            self.heldHead.write(on: context)
            var buffer = context.channel.allocator.buffer(capacity: 512)
            let framing = HTTP1Serializer.writeFields(
                startLine: { HTTP1Serializer.writeRequestLine(method: head.method, uri: head.uri, version: head.version, into: &$0) },
                headers: head.headers,
                into: &buffer
            )
            let http11 = head.version.major == 1 && head.version.minor >= 1
            var omit = HTTP1Serializer.Omit.none
            var addChunked = false
            switch head.method {
            case .TRACE:
                omit = .contentLengthAndTransferEncoding
                self.chunked = false
            case _ where framing.hasContentLength:
                omit = .transferEncoding
                self.chunked = false
            case .POST, .PUT, .PATCH:
                addChunked = http11 && !framing.hasTransferEncoding
                self.chunked = http11
            default:
                self.chunked = framing.hasTransferEncoding && http11
            }
            HTTP1Serializer.finishHead(framing, omit: omit, addChunked: addChunked, into: &buffer)
            if promise == nil {
                self.heldHead.hold(buffer)
            } else {
                context.write(self.wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
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
