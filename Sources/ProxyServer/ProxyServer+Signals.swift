public import Logging
public import ProxyConfig
import ServiceLifecycle
import UnixSignals

extension ProxyServer {
    /// Runs `configuration` until SIGTERM or SIGINT, then shuts down gracefully.
    ///
    /// This is all `portcullis run` does after parsing its arguments.
    public static func runUntilSignalled(configuration: ProxyConfiguration, logger: Logger) async throws {
        let server = try ProxyServer(configuration: configuration, logger: logger)
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: server)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }
}
