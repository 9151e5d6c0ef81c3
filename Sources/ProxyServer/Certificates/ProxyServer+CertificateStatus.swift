import Foundation
import ProxyConfig
import ProxyTLS

extension ProxyServer {
    /// `GET /certificates`: every certificate every listener serves now.
    func certificatesDocument(now: Date = Date()) -> AdminModels.Certificates {
        let configuration = self.configuration
        var rows: [AdminModels.Certificate] = []
        for (listener, context) in self.servingContexts() {
            let stapling = configuration.listeners.first { $0.name == listener }?.tls?.ocspStapling == true
            let refresh = self.certificateInventory.refresh(of: listener)
            for certificate in context.servedCertificates {
                let renewal = self.certificateInventory.renewal(listener: listener, certificatePath: certificate.source.certificatePath)
                let files = [certificate.source.certificatePath, certificate.source.privateKeyPath]
                var lastError: String?
                if let refresh, let error = refresh.error, files.contains(refresh.file ?? "") {
                    lastError = error
                } else {
                    lastError = renewal?.lastError
                }
                let source = renewal != nil ? "acme" : certificate.isFromDevelopmentCA ? "dev" : "file"
                rows.append(
                    AdminModels.Certificate(
                        listener: listener,
                        names: certificate.names,
                        subject: certificate.subject,
                        issuer: certificate.issuer,
                        notBefore: certificate.notBefore.map { Self.timestamp(Double($0)) },
                        notAfter: certificate.notAfter.map { Self.timestamp(Double($0)) },
                        expiresInSeconds: certificate.notAfter.map { Double($0) - now.timeIntervalSince1970 },
                        source: source,
                        certificateFile: certificate.source.certificatePath,
                        keyFile: certificate.source.privateKeyPath,
                        fingerprint: certificate.fingerprint,
                        lastRefresh: refresh.map { Self.timestamp($0.at.timeIntervalSince1970) },
                        lastError: lastError,
                        nextRenewal: renewal?.nextRenewal.map { Self.timestamp($0.timeIntervalSince1970) },
                        ocsp: self.stapleView(of: certificate, stapling: stapling)
                    )
                )
            }
        }
        return AdminModels.Certificates(certificates: rows)
    }

    private func stapleView(of certificate: TLSServedCertificate, stapling: Bool) -> AdminModels.OCSPStaple {
        guard stapling else { return AdminModels.OCSPStaple(status: "off") }
        guard !certificate.ocspResponders.isEmpty else { return AdminModels.OCSPStaple(status: "no_responder") }
        let staple = self.certificateInventory.staple(of: certificate.fingerprint)
        let status: String
        if let current = staple?.current {
            status = current.status.rawValue
        } else {
            status = staple?.lastError == nil ? "pending" : "none"
        }
        return AdminModels.OCSPStaple(
            status: status,
            responder: staple?.responder ?? certificate.ocspResponders.first,
            thisUpdate: staple?.current.map { Self.timestamp(Double($0.thisUpdate)) },
            nextUpdate: staple?.current?.nextUpdate.map { Self.timestamp(Double($0)) },
            fetchedAt: staple?.fetchedAt.map { Self.timestamp($0.timeIntervalSince1970) },
            nextFetch: staple?.nextFetch.map { Self.timestamp($0.timeIntervalSince1970) },
            lastError: staple?.lastError
        )
    }

    /// Read at scrape time: seconds until each served certificate expires, and the age and
    /// remaining validity of each OCSP staple.
    func certificateGauges(now: Date = Date()) -> [(label: String, dimensions: [(String, String)], value: Double)] {
        var gauges: [(label: String, dimensions: [(String, String)], value: Double)] = []
        let seconds = now.timeIntervalSince1970
        for (listener, context) in self.servingContexts() {
            for certificate in context.servedCertificates {
                let path = certificate.source.certificatePath
                if let notAfter = certificate.notAfter {
                    gauges.append((
                        "portcullis_certificate_expiry_seconds", [("listener", listener), ("certificate", path)], Double(notAfter) - seconds
                    ))
                }
                guard let current = self.certificateInventory.staple(of: certificate.fingerprint)?.current else { continue }
                gauges.append(("portcullis_ocsp_staple_age_seconds", [("listener", listener), ("certificate", path)], seconds - Double(current.thisUpdate)))
                if let nextUpdate = current.nextUpdate {
                    gauges.append((
                        "portcullis_ocsp_staple_valid_seconds", [("listener", listener), ("certificate", path)], Double(nextUpdate) - seconds
                    ))
                }
            }
        }
        return gauges
    }

    /// RFC 3339 in UTC, whole seconds: `2026-12-07T19:30:00Z`.
    static func timestamp(_ secondsSince1970: Double) -> String {
        Date(timeIntervalSince1970: secondsSince1970.rounded(.down)).formatted(.iso8601)
    }
}
