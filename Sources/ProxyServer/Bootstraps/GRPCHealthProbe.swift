import NIOCore
import NIOHPACK
import NIOHTTP2
import ProxyCore

/// The `grpc` health check on a connected socket: prior-knowledge HTTP/2, one stream calling
/// `grpc.health.v1.Health/Check` (messages: ``GRPCHealthMessages``); passes on SERVING.
enum GRPCHealthProbe {
    /// Adds the HTTP/2 handler (in the bootstrap's channel initializer).
    static func addHandlers(to channel: any Channel) throws {
        var configuration = NIOHTTP2Handler.ConnectionConfiguration()
        configuration.initialSettings = [HTTP2Setting(parameter: .enablePush, value: 0)]
        let handler = NIOHTTP2Handler(mode: .client, eventLoop: channel.eventLoop, connectionConfiguration: configuration) { stream in
            stream.close()
        }
        try channel.pipeline.syncOperations.addHandler(handler)
    }

    /// Opens the stream and calls the health service; completes `promise`.
    static func call(on channel: any Channel, authority: String, service: String, promise: EventLoopPromise<ProbeResult>) {
        do {
            let multiplexer = try channel.pipeline.syncOperations.handler(type: NIOHTTP2Handler.self).syncMultiplexer()
            multiplexer.createStreamChannel(promise: nil) { stream in
                stream.eventLoop.makeCompletedFuture {
                    try stream.pipeline.syncOperations.addHandler(StreamHandler(authority: authority, service: service, promise: promise))
                }
            }
        } catch {
            promise.succeed(.failed(reason: .error("\(error)")))
        }
    }

    private final class StreamHandler: ChannelInboundHandler {
        typealias InboundIn = HTTP2Frame.FramePayload
        typealias OutboundOut = HTTP2Frame.FramePayload

        private let authority: String
        private let service: String
        private let promise: EventLoopPromise<ProbeResult>
        private var httpStatus: Int?
        private var grpcStatus: String?
        private var grpcMessage: String?
        private var message = ByteBuffer()
        private var done = false

        init(authority: String, service: String, promise: EventLoopPromise<ProbeResult>) {
            self.authority = authority
            self.service = service
            self.promise = promise
        }

        func channelActive(context: ChannelHandlerContext) {
            let headers: HPACKHeaders = [
                ":method": "POST", ":scheme": "http", ":authority": self.authority, ":path": GRPCHealthMessages.path,
                "content-type": "application/grpc", "te": "trailers", "user-agent": "portcullis-health-check",
            ]
            context.write(self.wrapOutboundOut(.headers(.init(headers: headers))), promise: nil)
            let body = GRPCHealthMessages.request(service: self.service)
            context.writeAndFlush(self.wrapOutboundOut(.data(.init(data: .byteBuffer(body), endStream: true))), promise: nil)
            context.fireChannelActive()
        }

        func handlerAdded(context: ChannelHandlerContext) {
            if context.channel.isActive { self.channelActive(context: context) }
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch self.unwrapInboundIn(data) {
            case .headers(let frame):
                if self.httpStatus == nil {
                    self.httpStatus = frame.headers.first(name: ":status").flatMap { Int($0) }
                }
                if let status = frame.headers.first(name: "grpc-status") {
                    self.grpcStatus = status
                    self.grpcMessage = frame.headers.first(name: "grpc-message")
                }
                if frame.endStream { self.finish(context: context) }
            case .data(let frame):
                if case .byteBuffer(var bytes) = frame.data, self.message.readableBytes < 4096 {
                    self.message.writeBuffer(&bytes)
                }
                if frame.endStream { self.finish(context: context) }
            default:
                break
            }
        }

        func channelInactive(context: ChannelHandlerContext) {
            if !self.done {
                self.done = true
                self.promise.succeed(.failed(reason: .reset))
            }
            context.fireChannelInactive()
        }

        func errorCaught(context: ChannelHandlerContext, error: any Error) {
            if !self.done {
                self.done = true
                self.promise.succeed(.failed(reason: .error("\(error)")))
            }
            context.close(promise: nil)
        }

        private func finish(context: ChannelHandlerContext) {
            guard !self.done else { return }
            self.done = true
            self.promise.succeed(
                GRPCHealthMessages.result(httpStatus: self.httpStatus, grpcStatus: self.grpcStatus, grpcMessage: self.grpcMessage, message: self.message)
            )
        }
    }
}
