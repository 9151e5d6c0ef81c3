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
                install: { [weak self] reason in await self?.installACMECertificate(listener: name, reason: reason) }
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

    /// What an ACME listener reports (for the certificate inventory), by listener name.
    func acmeStatus() -> [String: ACMEStatus] {
        let managers = self.state.withLockedValue { $0.acmeManagers }
        var result: [String: ACMEStatus] = [:]
        for manager in managers { result[manager.listener] = manager.currentStatus }
        return result
    }

    /// Serves the certificate the ACME manager just wrote to `state_dir`.
    func installACMECertificate(listener: String, reason: String) async {
        // Wired to the one certificate swap path (`refreshCertificates(listener:reason:)`).
        self.logger.info("ACME certificate ready", metadata: ["listener": "\(listener)", "reason": "\(reason)"])
    }
}
