import ProxyACME
import ProxyCore
import ProxyTLS

/// The process's pending ACME challenges: HTTP-01 tokens (answered by plain listeners) and
/// TLS-ALPN-01 certificates (answered by the TLS layer). Owned by the ``ProxyServer`` and handed
/// to every listener plan, so a reload or a certificate swap keeps them.
struct ACMEChallengeTables: Sendable {
    let http = ACMEHTTPChallenges()
    let tls = ACMETLSChallenges()

    /// Publishes and withdraws an order's challenges in the table of their type.
    var publisher: ACMEClient.Publisher {
        let http = self.http
        let tls = self.tls
        return ACMEClient.Publisher(
            publish: { challenge in
                switch challenge.type {
                case ACMEConfigurationChallengeType.http01:
                    http.add(token: challenge.token, keyAuthorization: challenge.keyAuthorization)
                default:
                    try tls.add(name: challenge.domain, keyAuthorization: challenge.keyAuthorization)
                }
            },
            withdraw: { challenge in
                switch challenge.type {
                case ACMEConfigurationChallengeType.http01: http.remove(token: challenge.token)
                default: tls.remove(name: challenge.domain)
                }
            }
        )
    }
}

/// The challenge type names of RFC 8555 §8.3 and RFC 8737.
enum ACMEConfigurationChallengeType {
    static let http01 = "http-01"
    static let tlsALPN01 = "tls-alpn-01"
}
