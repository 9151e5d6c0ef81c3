import NIOCore
import NIOPosix

// The floor of a SwiftNIO proxy (docs/benchmarks.md, "Where Portcullis's time goes"): a byte
// forwarder with no HTTP at all. One event loop; each client connection gets its own upstream
// connection, and each side writes what it reads to the other. Loopback only.
//
//   cd bench/floor && swift build -c release
//   .build/release/floor 18490 18480     # listen on 127.0.0.1:18490, forward to 127.0.0.1:18480
final class Glue: ChannelDuplexHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    var partner: Glue?
    var context: ChannelHandlerContext?
    var pending = false
    func handlerAdded(context: ChannelHandlerContext) { self.context = context }
    func handlerRemoved(context: ChannelHandlerContext) { self.context = nil; self.partner = nil }
    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        partner?.context?.write(data, promise: nil)
        partner?.pending = true
    }
    func channelReadComplete(context: ChannelHandlerContext) {
        if let p = partner, p.pending { p.pending = false; p.context?.flush() }
    }
    func channelInactive(context: ChannelHandlerContext) { partner?.context?.close(promise: nil) }
    func errorCaught(context: ChannelHandlerContext, error: any Error) { context.close(promise: nil) }
}

let args = CommandLine.arguments
let listenPort = Int(args[1])!, backendPort = Int(args[2])!
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let server = try ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 1024)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { client in
        let a = Glue(), b = Glue()
        a.partner = b; b.partner = a
        client.setOption(.autoRead, value: true)
        return ClientBootstrap(group: client.eventLoop)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { up in up.pipeline.addHandler(b) }
            .connect(host: "127.0.0.1", port: backendPort)
            .flatMap { _ in client.pipeline.addHandler(a) }
    }
    .bind(host: "127.0.0.1", port: listenPort).wait()
print("listening", listenPort)
try server.closeFuture.wait()
