public import NIOCore
public import NIOHTTP1

/// Serializes the responses of a client connection (replacing NIO's `HTTPResponseEncoder`, with
/// the same framing rules, in fewer and cheaper writes).
///
/// Framing, as NIO's encoder does it:
/// - A response that must not have a body (1xx, 204, 304, a response to `CONNECT`) is sent
///   without `Content-Length` and `Transfer-Encoding`.
/// - Otherwise `Content-Length` wins (any `Transfer-Encoding` is dropped); without it an HTTP/1.1
///   response is sent chunked, an HTTP/1.0 one is delimited by the close.
/// - A response to `HEAD` keeps the framing headers a `GET` would have had, and no body is
///   written (a body part fails its promise).
///
/// A head written without a promise waits for the next part (``HeldHead``): a body of up to
/// ``HTTP1Serializer/chunkCopyLimit`` bytes that is not chunked is copied after it, and both
/// go out as one buffer; anything else, and a flush, writes it first.
///
/// The request methods come from ``RequestGuardHandler``, which calls
/// ``requestReceived(method:)`` for each request it answers, in order. The guard, the handler
/// above this one, also hands it the response parts by a direct call (``write(_:promise:)``)
/// rather than through the pipeline (decision 0010).
public final class HTTP1ResponseEncoder: ChannelOutboundHandler, RemovableChannelHandler {
    public typealias OutboundIn = HTTPServerResponsePart
    public typealias OutboundOut = IOData

    public struct BodyNotAllowed: Error, Hashable {}

    /// Methods of the requests whose responses are still to be written, in order: the oldest,
    /// then the rest (pipelining; usually empty, and an empty array allocates nothing).
    private var nextMethod: HTTPMethod?
    private var laterMethods: [HTTPMethod] = []
    private var chunked = false
    private var suppressBody = false
    private(set) var context: ChannelHandlerContext?
    var heldHead = HeldHead()

    public init() {}

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

    /// A request was received that will be answered: its response is framed for its method.
    public func requestReceived(method: HTTPMethod) {
        if self.nextMethod == nil {
            self.nextMethod = method
        } else {
            self.laterMethods.append(method)
        }
    }

    private func popMethod() -> HTTPMethod? {
        guard let method = self.nextMethod else { return nil }
        self.nextMethod = self.laterMethods.isEmpty ? nil : self.laterMethods.removeFirst()
        return method
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.write(self.unwrapOutboundIn(data), context: context, promise: promise)
    }

    func write(_ part: HTTPServerResponsePart, context: ChannelHandlerContext, promise: EventLoopPromise<Void>?) {
        switch part {
        case .head(let head):
            self.heldHead.write(on: context)
            var buffer = context.channel.allocator.buffer(capacity: 512)
            self.encode(head, into: &buffer)
            if promise == nil {
                self.heldHead.hold(buffer)
            } else {
                context.write(self.wrapOutboundOut(.byteBuffer(buffer)), promise: promise)
            }
        case .body(let body):
            if self.suppressBody {
                self.heldHead.write(on: context)
                promise?.fail(BodyNotAllowed())
            } else {
                self.heldHead.writeBody(body, chunked: self.chunked, context: context, promise: promise)
            }
        case .end(let trailers):
            self.heldHead.writeEnd(trailers: trailers, chunked: self.chunked, context: context, promise: promise)
            self.chunked = false
            self.suppressBody = false
        }
    }

    /// Writes a head whose target fields are copied as received (`fields`) before `head`'s own
    /// (decision 0012), framed as any head; held like one written without a promise.
    func writeHead(_ head: HTTPResponseHead, fields: RawResponseFields) {
        guard let context = self.context else { return }
        self.heldHead.write(on: context)
        var buffer = context.channel.allocator.buffer(capacity: 512)
        self.encode(head, fields: fields, into: &buffer)
        self.heldHead.hold(buffer)
    }

    /// Frames `head` (see the type's comment) and writes it into `buffer`; `fields`, when
    /// given, are written first.
    func encode(_ head: HTTPResponseHead, fields: RawResponseFields? = nil, into buffer: inout ByteBuffer) {
        let code = head.status.code
        let informational = code >= 100 && code < 200 && code != 101
        var respondingToConnect = false
        if !informational, let method = self.popMethod() {
            respondingToConnect = method.isCONNECT
            self.suppressBody = method.isHEAD || respondingToConnect
        }
        var framing = HTTP1Serializer.writeFields(
            startLine: { HTTP1Serializer.writeStatusLine(version: head.version, status: head.status, into: &$0) },
            leading: { fields?.write(into: &$0) },
            headers: head.headers,
            into: &buffer
        )
        if let fields, fields.hasContentLength {
            framing.hasContentLength = true
        }
        let omit: HTTP1Serializer.Omit
        var chunked = false
        if respondingToConnect || !head.status.mayHaveResponseBody {
            omit = .contentLengthAndTransferEncoding
        } else if framing.hasContentLength {
            omit = .transferEncoding
        } else if head.version.major == 1 && head.version.minor >= 1 {
            omit = .transferEncoding  // replaced by our own
            chunked = true
        } else {
            omit = .none
        }
        self.chunked = chunked && !self.suppressBody
        HTTP1Serializer.finishHead(framing, omit: omit, addChunked: chunked, into: &buffer)
    }
}

extension HTTP1ResponseEncoder: HeldHeadEncoder {}

@available(*, unavailable)
extension HTTP1ResponseEncoder: Sendable {}
