import NIOCore
import NIOHTTP1

/// Writes the responses of one client connection as HTTP/1 bytes, with the framing rules of
/// NIO's `HTTPResponseEncoder` (decision 0009), in few and cheap writes. A value owned by the
/// ``HTTP1ServerConnection``, which hands it its context for each write.
///
/// Framing:
/// - A response that must not have a body (1xx, 204, 304, a response to `CONNECT`) is sent
///   without `Content-Length` and `Transfer-Encoding`.
/// - Otherwise `Content-Length` wins (any `Transfer-Encoding` is dropped); without it an HTTP/1.1
///   response is sent chunked, an HTTP/1.0 one is delimited by the close.
/// - A response to `HEAD` keeps the framing headers a `GET` would have had, and no body is
///   written.
///
/// A head waits for the next part (``HeldHead``): a body of up to
/// ``HTTP1Serializer/chunkCopyLimit`` bytes that is not chunked is copied after it, and both
/// go out as one buffer; anything else, and a flush, writes it first.
struct HTTP1ResponseSerializer {
    /// Methods of the requests whose responses are still to be written, in order: the oldest,
    /// then the rest (usually none; an empty array allocates nothing).
    private var nextMethod: HTTPMethod?
    private var laterMethods: [HTTPMethod] = []
    private var chunked = false
    private var suppressBody = false
    private var heldHead = HeldHead()
    /// The default allocator (the one every channel of ours has), held: asking the context's
    /// channel for it cost ~130 instructions per response (the pipeline's channel, then the
    /// socket channel's allocator getter).
    private let allocator = ByteBufferAllocator()

    /// A request was received that will be answered: its response is framed for its method.
    mutating func requestReceived(method: HTTPMethod) {
        if self.nextMethod == nil {
            self.nextMethod = method
        } else {
            self.laterMethods.append(method)
        }
    }

    private mutating func popMethod() -> HTTPMethod? {
        guard let method = self.nextMethod else { return nil }
        self.nextMethod = self.laterMethods.isEmpty ? nil : self.laterMethods.removeFirst()
        return method
    }

    /// Writes `head`: held until the next part or flush, or, with a promise, at once.
    /// `connection`: the `Connection` value the guard decided, in place of any in `head`'s fields.
    mutating func writeHead(
        _ head: ClientResponseHead,
        connection: String? = nil,
        context: ChannelHandlerContext,
        promise: EventLoopPromise<Void>? = nil
    ) {
        self.heldHead.write(on: context)
        var buffer = self.allocator.buffer(capacity: 512)
        if let connection {
            var decided = head
            decided.fields.replaceOrAdd(name: "connection", value: connection)
            self.encode(decided, into: &buffer)
        } else {
            self.encode(head, into: &buffer)
        }
        if let promise {
            context.write(NIOAny(IOData.byteBuffer(buffer)), promise: promise)
        } else {
            self.heldHead.hold(buffer)
        }
    }

    /// Writes a body part; dropped when the response has no body (a `HEAD`'s).
    mutating func writeBody(_ body: IOData, context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
        if self.suppressBody {
            self.heldHead.write(on: context)
            promise?.succeed()
        } else {
            self.heldHead.writeBody(body, chunked: self.chunked, context: context, promise: promise)
        }
    }

    mutating func writeEnd(trailers: HTTPHeaders?, context: ChannelHandlerContext, promise: EventLoopPromise<Void>? = nil) {
        self.heldHead.writeEnd(trailers: trailers, chunked: self.chunked, context: context, promise: promise)
        self.chunked = false
        self.suppressBody = false
    }

    /// Writes the held head, if any, and flushes.
    mutating func flush(context: ChannelHandlerContext) {
        self.heldHead.write(on: context)
        context.flush()
    }

    /// Writes the held head (a tunnel's bytes follow it as they are).
    mutating func writeHeldHead(context: ChannelHandlerContext) {
        self.heldHead.write(on: context)
    }

    /// The connection is going away.
    mutating func drop() {
        self.heldHead.drop()
    }

    /// Frames `head` (see the type's comment) and writes it into `buffer`.
    mutating func encode(_ head: ClientResponseHead, into buffer: inout ByteBuffer) {
        let code = head.status.code
        let informational = code >= 100 && code < 200 && code != 101
        var respondingToConnect = false
        if !informational, let method = self.popMethod() {
            respondingToConnect = method.isCONNECT
            self.suppressBody = method.isHEAD || respondingToConnect
        }
        var framing = HTTP1Serializer.writeFields(
            startLine: { HTTP1Serializer.writeStatusLine(version: head.version, status: head.status, into: &$0) },
            leading: { buffer in
                head.targetFields?.write(into: &buffer)
                head.requestID?.writeLine(into: &buffer)
            },
            headers: head.fields,
            into: &buffer
        )
        if head.targetFields?.hasContentLength == true {
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
