import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import ProxyConfig

extension ProxyServer {
    /// Binds the admin API's own listener (plain HTTP, loopback by default).
    func bindAdmin(_ admin: AdminConfiguration) async throws -> any Channel {
        let responder: any AdminResponder = self
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    var limits = NIOHTTPDecoderLimitConfiguration()
                    limits.maxHeaderListSize = 16 * 1024
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                        withPipeliningAssistance: true,
                        withErrorHandling: false,
                        withEncoderConfiguration: HTTPResponseEncoder.Configuration(),
                        withDecoderLimitConfiguration: limits
                    )
                    try channel.pipeline.syncOperations.addHandler(AdminHandler(responder: responder))
                }
            }
            .bind(host: admin.bind.host, port: admin.bind.port)
            .get()
        if let address = channel.localAddress {
            self.logger.info(
                "admin API started",
                metadata: ["address": "\(Self.describe(address, fallbackHost: admin.bind.host))", "token": "\(admin.token == nil ? "none" : "required")"]
            )
        }
        return channel
    }
}
