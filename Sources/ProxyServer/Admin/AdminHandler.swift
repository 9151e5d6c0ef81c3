import NIOCore
import NIOHTTP1

/// Serves the admin API on one connection: reads a whole request (body up to 64 KiB), asks the
/// ``AdminResponder`` for the answer, writes it back. Keep-alive is honoured; requests on one
/// connection are answered in order, one at a time.
final class AdminHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let maxBodyBytes = 64 * 1024

    private let responder: any AdminResponder
    private var head: HTTPRequestHead?
    private var body: [UInt8] = []
    private var tooLarge = false

    init(responder: any AdminResponder) {
        self.responder = responder
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
            self.body.removeAll()
            self.tooLarge = false
        case .body(var buffer):
            if self.body.count + buffer.readableBytes > Self.maxBodyBytes {
                self.tooLarge = true
            } else {
                self.body += buffer.readBytes(length: buffer.readableBytes) ?? []
            }
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            let keepAlive = head.isKeepAlive
            if self.tooLarge {
                self.write(.problem(413, "request body larger than 64 KiB"), version: head.version, keepAlive: false, context: context)
                return
            }
            let request = AdminRequest(
                method: head.method.rawValue,
                path: head.uri,
                authorization: head.headers.first(name: "authorization"),
                body: self.body
            )
            let responder = self.responder
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            let promise = context.eventLoop.makePromise(of: AdminResponse.self)
            promise.completeWithTask { await responder.respond(to: request) }
            promise.futureResult.whenSuccess { response in
                let (handler, context) = loopBound.value
                // The client may have gone while a drain was waiting.
                guard context.channel.isActive else { return }
                handler.write(response, version: head.version, keepAlive: keepAlive, headOnly: head.method == .HEAD, context: context)
            }
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        // Malformed HTTP: answer 400 once, then close.
        if error is HTTPParserError {
            self.write(.problem(400, "malformed HTTP request"), version: .http1_1, keepAlive: false, context: context)
            return
        }
        context.close(promise: nil)
    }

    private func write(
        _ response: AdminResponse,
        version: HTTPVersion,
        keepAlive: Bool,
        headOnly: Bool = false,
        context: ChannelHandlerContext
    ) {
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: response.contentType)
        headers.add(name: "Content-Length", value: String(response.body.count))
        headers.add(name: "Cache-Control", value: "no-store")
        for (name, value) in response.headers {
            headers.add(name: name, value: value)
        }
        if !keepAlive {
            headers.add(name: "Connection", value: "close")
        }
        let head = HTTPResponseHead(version: version, status: HTTPResponseStatus(statusCode: response.status), headers: headers)
        context.write(self.wrapOutboundOut(.head(head)), promise: nil)
        if !response.body.isEmpty && !headOnly {
            context.write(self.wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: response.body)))), promise: nil)
        }
        if keepAlive {
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let channel = context.channel
            context.writeAndFlush(self.wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        }
    }
}

@available(*, unavailable)
extension AdminHandler: Sendable {}
