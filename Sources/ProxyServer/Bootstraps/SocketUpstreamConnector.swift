import NIOCore
import NIOPosix
import ProxyCore

/// Connects to targets over TCP on the caller's event loop, so the upstream channel and the
/// client channel share one loop and talk without locks.
struct SocketUpstreamConnector: UpstreamConnector {
    func connect(to target: Target, on eventLoop: any EventLoop, timeout: TimeAmount) -> EventLoopFuture<any Channel> {
        ClientBootstrap(group: eventLoop)
            .connectTimeout(timeout)
            .channelOption(.tcpOption(.tcp_nodelay), value: 1)
            .channelOption(.socketOption(.so_keepalive), value: 1)
            .connect(host: target.host, port: target.port)
    }
}
