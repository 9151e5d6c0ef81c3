import NIOConcurrencyHelpers
import Logging
import ProxyConfig

extension ProxyServer {
    /// Starts one ``ACMEManager`` per listener with `tls.acme` (stopping those of the plans
    /// replaced), after the listeners are bound: HTTP-01 needs the plain listener answering.
    func startACME(_ configuration: ProxyConfiguration, plans: [ListenerPlan]) {
        var managers: [ACMEManager] = []
        for (listener, plan) in zip(configuration.listeners, plans) {
            guard let acme = listener.tls?.acme else { continue }
            if plan.acmeServedNotAfter == nil {
                self.logger.warning(
                    "serving a self-signed certificate until the first ACME certificate is issued",
                    metadata: [
                        "listener": "\(listener.name)", "domains": "\(acme.domains.joined(separator: ","))",
                        "reason": "no valid certificate for these domains in \(acme.stateDirectory)",
                    ]
                )
            }
            let name = listener.name
            let manager = ACMEManager(
                listener: name,
                configuration: acme,
                challenges: self.acmeChallenges,
                servedNotAfter: plan.acmeServedNotAfter,
                logger: self.logger,
                metrics: self.metrics,
                install: { [weak self] reason in try await self?.installACMECertificate(listener: name, reason: reason) },
                report: { [weak self] state, certificatePath in
                    self?.recordRenewalState(state, listener: name, certificatePath: certificatePath)
                }
            )
            managers.append(manager)
        }
        let previous = self.state.withLockedValue { state in
            defer { state.acmeManagers = managers }
            return state.acmeManagers
        }
        for manager in previous { manager.stop() }
        for manager in managers { manager.start() }
    }

    func stopACME() {
        let managers = self.state.withLockedValue { state in
            defer { state.acmeManagers = [] }
            return state.acmeManagers
        }
        for manager in managers { manager.stop() }
    }

    /// Serves the certificate the ACME manager found in `state_dir`, through the one certificate
    /// swap path (``refreshCertificates(listener:reason:)``): new handshakes get it, open
    /// connections keep theirs.
    func installACMECertificate(listener: String, reason: String) async throws {
        try await self.refreshCertificates(listener: listener, reason: reason)
    }
}
