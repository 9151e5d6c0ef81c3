import NIOCore
import NIOHTTP1

/// Decodes a client's requests with our own ``HTTP1Parser`` (decision 0012), run by the
/// ``DecoderDriver``; emits NIO's request parts.
///
/// Frames each body as RFC 9112 §6.3 says for requests: `Transfer-Encoding` must end in
/// `chunked` (and come without `Content-Length`, in HTTP/1.1), else `Content-Length`, else no
/// body. Anything ambiguous is an error before the head is passed on, so no part of such a
/// request reaches the ``RequestGuardHandler`` (which validates the rest of the head).
final class HTTP1RequestDecoder: HTTP1PartDecoder {
    typealias InboundOut = HTTPServerRequestPart
    typealias Head = HTTPRequestHead

    var parser: HTTP1Parser
    /// The guard right above, handed the parts (and each head's ``RequestFacts``) directly
    /// instead of through the pipeline; `nil`: the parts are fired as usual. Linked where the two
    /// are placed (``ClientHTTPHandlers``).
    var requestGuard: RequestGuardHandler?

    /// - Parameters:
    ///   - maxHeadBytes: The request line and fields together (`limits.header_bytes`).
    init(maxHeadBytes: Int, maxFields: Int = 256) {
        self.parser = HTTP1Parser(isRequest: true, maxHeadBytes: maxHeadBytes, maxFields: maxFields, keepsRawFields: true)
    }

    func headParsed(context: ChannelHandlerContext) throws {
        let head = self.parser.takeHead()
        let framing = try Self.framing(of: head)
        self.parser.startBody(framing)
        let requestHead = HTTPRequestHead(version: head.version, method: head.method, uri: head.uri, headers: HTTPHeaders(head.fields))
        if let requestGuard = self.requestGuard {
            requestGuard.receiveDecoded(.head(requestHead), facts: Self.facts(of: head, framing: framing))
        } else {
            context.fireChannelRead(NIOAny(HTTPServerRequestPart.head(requestHead)))
        }
    }

    func decoderRemoved(context: ChannelHandlerContext) {
        self.requestGuard = nil
    }

    func pass(_ part: HTTPServerRequestPart, context: ChannelHandlerContext) {
        if let requestGuard = self.requestGuard {
            requestGuard.receiveDecoded(part, facts: nil)
        } else {
            context.fireChannelRead(NIOAny(part))
        }
    }

    static func facts(of head: HTTP1Head, framing: HTTP1Parser.Framing) -> RequestFacts {
        let bodyFraming: RequestBodyFraming
        switch framing {
        case .length(let length) where length > 0: bodyFraming = .contentLength(length)
        case .chunked: bodyFraming = .chunked
        case .none, .length, .untilClose: bodyFraming = .none
        }
        return RequestFacts(
            framing: bodyFraming,
            hostCount: head.hostCount,
            expectsContinue: head.expectsContinue,
            unsupportedExpect: head.unsupportedExpect,
            keepAlive: head.isKeepAlive,
            fieldHints: head.fieldHints,
            rawFields: head.rawFields
        )
    }

    static func framing(of head: HTTP1Head) throws -> HTTP1Parser.Framing {
        switch head.transferCoding {
        case .absent:
            return head.contentLength.map { .length($0) } ?? .none
        case .chunked:
            guard head.contentLength == nil else {
                throw HTTP1ParseError.malformed("both Content-Length and Transfer-Encoding")
            }
            guard head.version == .http1_1 else {
                throw HTTP1ParseError.malformed("Transfer-Encoding in an HTTP/1.0 request")
            }
            return .chunked
        case .other, .invalid:
            throw HTTP1ParseError.malformed("Transfer-Encoding does not end in chunked")
        }
    }
}

@available(*, unavailable)
extension HTTP1RequestDecoder: Sendable {}
