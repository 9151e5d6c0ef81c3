public import NIOCore
public import NIOHTTP1

/// A request's parts on their way to a target: the head already encoded.
public typealias UpstreamRequestPart = HTTPPart<UpstreamRequestHead, IOData>

/// A request head as it goes to a target, encoded once: the ``RequestHeaderRewriter`` writes it,
/// the ``UpstreamConnection`` sends its bytes as they are, and a retry sends the same bytes
/// again (decision 0013).
///
/// Framed as NIO's `HTTPRequestEncoder` frames a head: a `TRACE` never has a body (its framing
/// lines are left out); with `Content-Length` the body goes as it comes (a `Transfer-Encoding`
/// is left out); a `POST`, `PUT` or `PATCH` with neither is sent chunked (an empty body: some
/// servers refuse those methods without framing); otherwise the body is chunked exactly when
/// the head says `Transfer-Encoding` (only ever `chunked`) in HTTP/1.1.
public struct UpstreamRequestHead: Equatable, Sendable {
    public var method: HTTPMethod
    /// The request line, the field lines and the empty line.
    public var bytes: ByteBuffer
    /// Whether the body goes in chunked coding.
    public var chunked: Bool
    /// The head asks the target to switch protocols (`Connection: upgrade`): a `101` answer
    /// turns the exchange into a tunnel.
    public var upgrade = false

    /// Encodes `head` as it is (its fields in order), framed as described above.
    public init(_ head: HTTPRequestHead, allocator: ByteBufferAllocator = ByteBufferAllocator()) {
        var buffer = allocator.buffer(capacity: 512)
        let framing = HTTP1Serializer.writeFields(
            startLine: { HTTP1Serializer.writeRequestLine(method: head.method, uri: head.uri, version: head.version, into: &$0) },
            headers: head.headers,
            into: &buffer
        )
        let http11 = head.version.major == 1 && head.version.minor >= 1
        self.init(method: head.method, http11: http11, framing: framing, finishing: &buffer)
    }

    /// Finishes a head whose request line and field lines are in `buffer`, found to have
    /// `framing`: leaves out or adds framing lines as described above, then the empty line.
    init(method: HTTPMethod, http11: Bool, framing: HTTP1Serializer.Framing, finishing buffer: inout ByteBuffer) {
        var omit = HTTP1Serializer.Omit.none
        var addChunked = false
        switch method {
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
        self.method = method
        self.bytes = buffer
    }
}
