/// How a TLS listener terminates connections.
///
/// Configuration keys (with defaults):
/// - `certificates` (required, at least one): certificate/key pairs. The first one is the
///   default, served when the client sends no SNI name or one that matches no certificate.
/// - `minimumVersion` (`.tls12`): `.tls12` or `.tls13`. TLS 1.0 and 1.1 are always refused.
/// - `applicationProtocols` (`["http/1.1"]`): ALPN names in server preference order. When the
///   client offers none of them the handshake continues without ALPN.
/// - `sessionTickets` (`true`): issue TLS 1.2 and 1.3 session tickets for resumption.
/// - `ticketKeyRotationInterval` (1 hour): how often the caller should call
///   ``TLSServerContext/rotateTicketKeys()``. The context itself runs no timer.
/// - `ticketKeyRetention` (2): how many previous ticket keys still decrypt tickets, 0...16.
/// - `handshakeTimeout` (10 s): connections that have not finished the handshake by then are closed.
public struct TLSServerConfiguration: Sendable {
    public var certificates: [TLSCertificateSource]
    public var minimumVersion: TLSProtocolVersion = .tls12
    public var applicationProtocols: [String] = ["http/1.1"]
    public var sessionTickets: Bool = true
    public var ticketKeyRotationInterval: Duration = .seconds(3600)
    public var ticketKeyRetention: Int = 2
    public var handshakeTimeout: Duration = .seconds(10)
    /// Shared session-ticket key files (80 bytes each: name, HMAC secret, AES key, as nginx's
    /// `ssl_session_ticket_key`). The first seals new tickets; all open them. Empty: random keys
    /// made in process and rotated by ``TLSServerContext/rotateTicketKeys()``.
    public var ticketKeyFiles: [String] = []
    /// The process's pending TLS-ALPN-01 challenges (ACME). When set, a ClientHello offering
    /// `acme-tls/1` for a name in the table is answered with that name's challenge certificate.
    /// Shared, not copied: every context built with it sees the same challenges.
    public var acmeChallenges: ACMETLSChallenges?
    /// Where the OCSP responses to staple are found (shared by every context of the server, so
    /// a rebuilt context keeps its certificates' staples). `nil`: nothing is stapled.
    public var ocspStaples: TLSStapleStore?

    public init(certificates: [TLSCertificateSource]) {
        self.certificates = certificates
    }
}
