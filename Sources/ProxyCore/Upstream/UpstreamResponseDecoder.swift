import NIOCore
import NIOHTTP1

/// Decodes a target's responses with our own ``HTTP1Parser`` (decision 0012), run by the
/// ``DecoderDriver``; emits NIO's response parts.
///
/// A response's framing depends on the request it answers (RFC 9112 §6.3): the
/// ``HTTP1RequestEncoder`` tells this decoder the method of each request it writes
/// (``requestSent(method:)``). Responses to `HEAD` and `CONNECT`, `204` and `304` have no body;
/// interim `1xx` responses are dropped (we answer `100-continue` ourselves); `101` is refused
/// (we never forward `Upgrade`); a response with neither `Transfer-Encoding` nor
/// `Content-Length` lasts until the connection closes.
final class UpstreamResponseDecoder: HTTP1PartDecoder {
    typealias InboundOut = HTTPClientResponsePart
    typealias Head = HTTPResponseHead

    /// NIO's default limits for responses.
    /// Its heads keep their field lines and are not given fields: the proxy copies the lines
    /// as received, and reads fields from them only when it rebuilds a head.
    var parser = HTTP1Parser(
        isRequest: false,
        maxHeadBytes: 80 * 1024,
        maxFields: Int(UInt16.max) - 1,
        keepsRawFields: true,
        buildsFields: false
    )
    /// Methods of the requests sent and not yet answered, oldest first.
    private var methods = CircularBuffer<HTTPMethod>(initialCapacity: 2)

    /// The connection handler right above, handed the parts directly instead of through the
    /// pipeline; `nil`: the parts are fired as usual. Linked where the two are placed
    /// (``UpstreamPool``); unlinked when the decoder leaves the pipeline.
    var connection: UpstreamConnection?

    /// A request with this head is being sent: its response follows, in order.
    func requestSent(method: HTTPMethod) {
        self.methods.append(method)
    }

    func headParsed(context: ChannelHandlerContext) throws {
        let head = self.parser.takeHead()
        guard let method = self.methods.first else {
            throw HTTP1ParseError.malformed("response without a request")
        }
        if head.status < 200 && head.status != 101 {
            self.parser.expectAnotherHead()  // interim: dropped, the response's head follows
            return
        }
        self.methods.removeFirst()
        self.parser.startBody(try Self.framing(of: head, method: method))
        let status = HTTPResponseStatus(statusCode: head.status)
        let rawFields = head.rawFields!
        if let connection = self.connection {
            // The fields go as their lines only (``UpstreamConnection/responseRawFields``).
            connection.receiveDecoded(
                .head(HTTPResponseHead(version: head.version, status: status)),
                keepAlive: head.isKeepAlive,
                hints: head.fieldHints,
                rawFields: rawFields,
                hasContentLength: head.contentLength != nil
            )
        } else {
            let responseHead = HTTPResponseHead(version: head.version, status: status, headers: RawFieldLines.headers(of: rawFields))
            context.fireChannelRead(NIOAny(HTTPClientResponsePart.head(responseHead)))
        }
    }

    func decoderRemoved(context: ChannelHandlerContext) {
        self.connection = nil
    }

    func pass(_ part: HTTPClientResponsePart, context: ChannelHandlerContext) {
        if let connection = self.connection {
            connection.receiveDecoded(part, keepAlive: nil)
        } else {
            context.fireChannelRead(NIOAny(part))
        }
    }

    static func framing(of head: HTTP1Head, method: HTTPMethod) throws -> HTTP1Parser.Framing {
        if head.status == 101 {
            throw HTTP1ParseError.malformed("101 Switching Protocols without an upgrade request")
        }
        if method.isHEAD || method.isCONNECT || head.status == 204 || head.status == 304 {
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
}

@available(*, unavailable)
extension UpstreamResponseDecoder: Sendable {}
