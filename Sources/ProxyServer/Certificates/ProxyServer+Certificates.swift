import Foundation
import Logging
import NIOConcurrencyHelpers
import ProxyConfig
import ProxyTLS

extension ProxyServer {
    /// Reads a listener's certificate and key files again and serves them to new connections.
    ///
    /// Builds a new TLS context from the listener's current configuration (through
    /// ``ListenerPlan/tlsConfiguration(for:staples:)``, the one mapping startup and reloads use),
    /// carrying the session-ticket keys over, and swaps it into the running listener under the
    /// gate reloads take (decision 0006): a reload never interleaves with a refresh, so neither
    /// undoes the other. Connections already open keep the certificate they were handshaken
    /// with; nothing is dropped. The OCSP fetcher follows the new certificates.
    ///
    /// Used by the certificate file watcher and by certificate managers (ACME) after they wrote
    /// new files.
    ///
    /// - Parameters:
    ///   - name: The listener's `name`.
    ///   - reason: Why, for the log and `GET /certificates` (`"file changed"`, `"acme renewal"`).
    /// - Throws: ``CertificateRefreshError``. On ``CertificateRefreshError/invalid(listener:_:)``
    ///   (a file missing, unreadable, half-written, not PEM, or a key that does not match) the
    ///   listener keeps its current certificates, the error is logged naming the file and
    ///   recorded for `GET /certificates`.
    public func refreshCertificates(listener name: String, reason: String) async throws {
        try await self.operations.withExclusive {
            let (configuration, listeners, stopped) = self.state.withLockedValue { ($0.configuration, $0.listeners, $0.stopped) }
            guard !stopped else { throw CertificateRefreshError.stopped }
            guard let running = listeners.first(where: { $0.name == name }),
                let listenerConfiguration = configuration.listeners.first(where: { $0.name == name })
            else { throw CertificateRefreshError.unknownListener(name) }
            guard let tlsConfiguration = ListenerPlan.tlsConfiguration(for: listenerConfiguration, staples: self.staples, acme: self.acmeChallenges) else {
                throw CertificateRefreshError.notHTTPS(name)
            }
            let context: TLSServerContext
            do {
                context = try TLSServerContext(configuration: tlsConfiguration, replacing: running.plan.tls)
            } catch let error as TLSConfigurationError {
                self.certificateInventory.recordRefresh(
                    CertificateInventory.Refresh(at: Date(), reason: reason, error: error.description, file: error.file),
                    listener: name
                )
                self.logger.error(
                    "certificate refresh failed; the listener keeps its current certificates",
                    metadata: ["listener": "\(name)", "reason": "\(reason)", "file": "\(error.file)", "error": "\(error.detail)"]
                )
                throw CertificateRefreshError.invalid(listener: name, error)
            }
            running.updatePlan { $0.tls = context }
            self.certificateInventory.recordRefresh(CertificateInventory.Refresh(at: Date(), reason: reason), listener: name)
            self.logger.notice(
                "certificates refreshed",
                metadata: [
                    "listener": "\(name)", "reason": "\(reason)",
                    "certificates": "\(context.certificateSummaries.joined(separator: "; "))",
                ]
            )
        }
        self.certificatesChanged()
    }

    /// Records what a certificate manager (ACME) knows about a certificate it keeps, for
    /// `GET /certificates` and `portcullis certs status`: the certificate is then listed with
    /// `source: acme`, the state's `next_renewal` and its `last_error` (a refresh error of the
    /// listener that names the file takes precedence while it is the latest news).
    ///
    /// Call it whenever the state changes (a renewal planned, tried, failed); `nil` forgets the
    /// certificate (it is listed as `file` or `dev` again). Thread-safe, cheap, never blocks.
    ///
    /// - Parameters:
    ///   - listener: The listener's `name`.
    ///   - certificatePath: The certificate file the listener serves (as in its TLS configuration).
    public func recordRenewalState(_ state: CertificateRenewalState?, listener: String, certificatePath: String) {
        self.certificateInventory.recordRenewal(state, listener: listener, certificatePath: certificatePath)
    }

    /// The TLS contexts serving now, by listener name (in configuration order).
    func servingContexts() -> [(listener: String, context: TLSServerContext)] {
        self.state.withLockedValue { state in
            state.listeners.compactMap { listener in listener.plan.tls.map { (listener.name, $0) } }
        }
    }

    /// Called after the served certificates may have changed (start, reload, refresh).
    /// The OCSP fetcher follows the certificates of listeners with `tls.ocsp_stapling`.
    func certificatesChanged() {
        let configuration = self.configuration
        var stapled: [TLSServedCertificate] = []
        for (listener, context) in self.servingContexts()
        where configuration.listeners.first(where: { $0.name == listener })?.tls?.ocspStapling == true {
            stapled += context.servedCertificates
        }
        self.ocspStapler.follow(stapled)
    }
}
