import NIOCore
import NIOEmbedded
import NIOHTTP1

@testable import ProxyCore

/// Runs one of our parsers on a channel's bytes as the connections do (``HTTP1ServerConnection``,
/// ``UpstreamConnection``: the buffer kept while the loop runs, the end of input finishing a body
/// that lasts until the close) and fires NIO's parts: what the differential and fuzz tests
/// compare with llhttp (NIO's decoders) read by read. Test support only.
///
/// `frame` frames each head (the connection's rule) and makes NIO's head of it, or returns `nil`
/// for an interim head that is dropped.
final class ParserHandler<Head: Equatable>: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = HTTPPart<Head, ByteBuffer>

    private var parser: HTTP1Parser
    private let frame: (HTTP1Head) throws -> (head: Head, framing: HTTP1Parser.Framing)?
    private var received: ByteBuffer?
    private var failed = false

    init(parser: HTTP1Parser, frame: @escaping (HTTP1Head) throws -> (head: Head, framing: HTTP1Parser.Framing)?) {
        self.parser = parser
        self.frame = frame
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        guard !self.failed else {
            context.fireErrorCaught(HTTP1ParseError.malformed("data after an error"))
            return
        }
        self.received.appendReceived(&bytes)
        do {
            while var buffer = self.received {
                self.received = nil
                let event = try self.parser.next(&buffer)
                self.received = buffer  // even when empty: a body's end needs no bytes
                guard let event else { break }
                switch event {
                case .head:
                    guard let framed = try self.frame(self.parser.takeHead()) else {
                        self.parser.expectAnotherHead()
                        continue
                    }
                    self.parser.startBody(framed.framing)
                    context.fireChannelRead(self.wrapInboundOut(.head(framed.head)))
                case .body(let body): context.fireChannelRead(self.wrapInboundOut(.body(body)))
                case .end(let trailers): context.fireChannelRead(self.wrapInboundOut(.end(trailers)))
                }
            }
        } catch {
            self.failed = true
            self.received = nil
            context.fireErrorCaught(error)
        }
        if self.received?.readableBytes == 0 { self.received = nil }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event as? ChannelEvent == .inputClosed { self.inputEnded(context: context) }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.inputEnded(context: context)
        context.fireChannelInactive()
    }

    private func inputEnded(context: ChannelHandlerContext) {
        guard !self.failed else { return }
        do {
            if let event = try self.parser.finish(self.received ?? ByteBuffer()), case .end(let trailers) = event {
                context.fireChannelRead(self.wrapInboundOut(.end(trailers)))
            }
        } catch {
            self.failed = true
            context.fireErrorCaught(error)
        }
    }
}

extension ParserHandler where Head == HTTPRequestHead {
    /// The request side: our request parser and ``RequestFraming``.
    static func requests(maxHeadBytes: Int, maxFields: Int = 256) -> ParserHandler<HTTPRequestHead> {
        ParserHandler(parser: HTTP1Parser(isRequest: true, maxHeadBytes: maxHeadBytes, maxFields: maxFields, keepsRawFields: true)) { head in
            (HTTPRequestHead(version: head.version, method: head.method, uri: head.uri, headers: HTTPHeaders(head.fields)), try RequestFraming.framing(of: head))
        }
    }
}

extension ParserHandler where Head == HTTPResponseHead {
    /// The response side: the target-response parser and the framing ``UpstreamConnection``
    /// applies, given the methods of the requests sent, in order.
    static func responses(methods: [HTTPMethod]) -> ParserHandler<HTTPResponseHead> {
        var methods = methods[...]
        return ParserHandler(parser: .forTargetResponses()) { head in
            guard let method = methods.first else { throw HTTP1ParseError.malformed("response without a request") }
            if head.status < 200 && head.status != 101 { return nil }  // interim: dropped
            methods = methods.dropFirst()
            let response = HTTPResponseHead(version: head.version, status: HTTPResponseStatus(statusCode: head.status), headers: RawFieldLines.headers(of: head.rawFields!))
            return (response, try UpstreamConnection.framing(of: head, method: method))
        }
    }
}

/// Drives an ``HTTP1ResponseSerializer`` with NIO's response parts written on a channel, so its
/// bytes can be checked part by part. Test support only.
final class ResponseSerializerHandler: ChannelOutboundHandler {
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = IOData

    var serializer = HTTP1ResponseSerializer()

    func requestReceived(method: HTTPMethod) {
        self.serializer.requestReceived(method: method)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch self.unwrapOutboundIn(data) {
        case .head(let head):
            self.serializer.writeHead(ClientResponseHead(status: head.status, version: head.version, fields: head.headers), context: context, promise: promise)
        case .body(let body):
            self.serializer.writeBody(body, context: context, promise: promise)
        case .end(let trailers):
            self.serializer.writeEnd(trailers: trailers, context: context, promise: promise)
        }
    }

    func flush(context: ChannelHandlerContext) {
        self.serializer.flush(context: context)
    }
}
