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
public final class HTTP1RequestEncoder: ChannelOutboundHandler, RemovableChannelHandler {
    public typealias OutboundIn = HTTPClientRequestPart
    public typealias OutboundOut = IOData

    private var chunked = false
    private let responseDecoder: UpstreamResponseDecoder?

    public convenience init() {
        self.init(responseDecoder: nil)
    }

    /// - Parameter responseDecoder: Told the method of each request written (its response is
    ///   framed by it).
    init(responseDecoder: UpstreamResponseDecoder?) {
        self.responseDecoder = responseDecoder
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .head(let head):
            self.responseDecoder?.requestSent(head)
            let framing = HTTP1Serializer.Framing(head.headers)
            let http11 = head.version.major == 1 && head.version.minor >= 1
            var omit = HTTP1Serializer.Omit.none
            var addChunked = false
            switch head.method {
            case .TRACE:
                omit = framing.hasContentLength || framing.hasTransferEncoding ? .contentLengthAndTransferEncoding : .none
                self.chunked = false
            case _ where framing.hasContentLength:
                omit = framing.hasTransferEncoding ? .transferEncoding : .none
                self.chunked = false
            case .POST, .PUT, .PATCH:
                addChunked = http11 && !framing.hasTransferEncoding
                self.chunked = http11
            default:
                self.chunked = framing.hasTransferEncoding && http11
            }
            var buffer = context.channel.allocator.buffer(capacity: 256)
            HTTP1Serializer.writeHead(
                startLine: { HTTP1Serializer.writeRequestLine(method: head.method, uri: head.uri, version: head.version, into: &$0) },
                headers: head.headers,
                framing: framing,
                omit: omit,
                addChunked: addChunked,
                into: &buffer
            )
            context.write(self.wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
        case .body(let body):
            HTTP1Serializer.writeBody(body, chunked: self.chunked, context: context, promise: promise)
        case .end(let trailers):
            HTTP1Serializer.writeEnd(trailers: trailers, chunked: self.chunked, context: context, promise: promise)
            self.chunked = false
        }
    }
}

@available(*, unavailable)
extension HTTP1RequestEncoder: Sendable {}
