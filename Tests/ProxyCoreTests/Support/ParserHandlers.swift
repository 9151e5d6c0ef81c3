import NIOCore
import NIOEmbedded
import NIOHTTP1

@testable import ProxyCore

/// Runs the request parser and its framing (``HTTP1Parser``, ``RequestFraming``) on a channel's
/// bytes as ``HTTP1ServerConnection`` does, and fires NIO's request parts: what the differential
/// tests compare with llhttp (NIO's decoder) read by read. Test support only.
final class RequestParserHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = HTTPServerRequestPart

    private var parser: HTTP1Parser
    private var received: ByteBuffer?
    private var failed = false

    init(maxHeadBytes: Int, maxFields: Int = 256) {
        self.parser = HTTP1Parser(isRequest: true, maxHeadBytes: maxHeadBytes, maxFields: maxFields, keepsRawFields: true)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        guard !self.failed else {
            context.fireErrorCaught(HTTP1ParseError.malformed("data after an error"))
            return
        }
        if self.received == nil { self.received = bytes } else { self.received!.writeBuffer(&bytes) }
        do {
            while var buffer = self.received {
                self.received = nil
                let event = try self.parser.next(&buffer)
                self.received = buffer  // even when empty: a body's end needs no bytes
                guard let event else { break }
                switch event {
                case .head:
                    let head = self.parser.takeHead()
                    self.parser.startBody(try RequestFraming.framing(of: head))
                    let part = HTTPServerRequestPart.head(HTTPRequestHead(version: head.version, method: head.method, uri: head.uri, headers: HTTPHeaders(head.fields)))
                    context.fireChannelRead(self.wrapInboundOut(part))
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

/// The response side: the parser and the framing ``UpstreamConnection`` applies, given the
/// methods of the requests sent. Test support only.
final class ResponseParserHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = HTTPClientResponsePart

    private var parser = HTTP1Parser.forTargetResponses()
    private var methods: [HTTPMethod] = []
    private var received: ByteBuffer?
    private var failed = false

    init(methods: [HTTPMethod]) {
        self.methods = methods
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var bytes = self.unwrapInboundIn(data)
        guard !self.failed else {
            context.fireErrorCaught(HTTP1ParseError.malformed("data after an error"))
            return
        }
        if self.received == nil { self.received = bytes } else { self.received!.writeBuffer(&bytes) }
        do {
            while var buffer = self.received {
                self.received = nil
                let event = try self.parser.next(&buffer)
                self.received = buffer  // even when empty: a body's end needs no bytes
                guard let event else { break }
                switch event {
                case .head:
                    let head = self.parser.takeHead()
                    guard let method = self.methods.first else { throw HTTP1ParseError.malformed("response without a request") }
                    if head.status < 200 && head.status != 101 {
                        self.parser.expectAnotherHead()
                        continue
                    }
                    self.methods.removeFirst()
                    self.parser.startBody(try UpstreamConnection.framing(of: head, method: method))
                    let response = HTTPResponseHead(
                        version: head.version,
                        status: HTTPResponseStatus(statusCode: head.status),
                        headers: RawFieldLines.headers(of: head.rawFields!)
                    )
                    context.fireChannelRead(self.wrapInboundOut(.head(response)))
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

    func channelInactive(context: ChannelHandlerContext) {
        if !self.failed {
            do {
                if let event = try self.parser.finish(self.received ?? ByteBuffer()), case .end(let trailers) = event {
                    context.fireChannelRead(self.wrapInboundOut(.end(trailers)))
                }
            } catch {
                self.failed = true
                context.fireErrorCaught(error)
            }
        }
        context.fireChannelInactive()
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
