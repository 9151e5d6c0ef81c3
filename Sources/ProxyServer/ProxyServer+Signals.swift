public import Logging
public import ProxyConfig
import ServiceLifecycle
import UnixSignals

extension ProxyServer {
    /// Runs `configuration` until SIGTERM or SIGINT, then shuts down gracefully. SIGHUP reloads
    /// through `configurationSource`; SIGUSR1 reopens the access log.
    ///
    /// This is all `portcullis run` does after parsing its arguments.
    public static func runUntilSignalled(
        configuration: ProxyConfiguration,
        logger: Logger,
        configurationSource: (@Sendable () throws -> ProxyConfiguration)? = nil,
        onStarted: (@Sendable ([BoundListener]) -> Void)? = nil,
        fleet: FleetMember.Settings? = nil
    ) async throws {
        let server = try ProxyServer(
            configuration: configuration,
            logger: logger,
            configurationSource: configurationSource,
            onStarted: onStarted
        )
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = [.init(service: server)]
        if let fleet {
            services.append(.init(service: FleetMember(settings: fleet, server: server, logger: logger)))
        }
        let group = ServiceGroup(
            configuration: .init(
                services: services,
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        try await group.run()
    }

    /// SIGHUP: reload. SIGUSR1: reopen the access log (log rotation). Until cancelled.
    func handleSignals() async {
        let signals = await UnixSignalsSequence(trapping: .sighup, .sigusr1)
        for await signal in signals {
            switch signal {
            case .sighup:
                self.logger.info("SIGHUP: reloading the configuration")
                _ = try? await self.reload()
            case .sigusr1:
                do {
                    try self.accessLog.reopen()
                    self.logger.info("SIGUSR1: access log reopened")
                } catch {
                    self.logger.error("SIGUSR1: cannot reopen the access log", metadata: ["error": "\(error)"])
                }
            default:
                break
            }
        }
    }
}
