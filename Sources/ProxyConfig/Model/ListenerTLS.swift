public import ProxyDefaults

/// The `tls` block of an `https` listener.
///
/// Configuration keys:
/// - `certificates` (list of `{cert, key}`, required unless `acme` is set): picked by SNI; the
///   first is used when the client sends no SNI or no certificate matches.
/// - `acme` (mapping, optional): certificates from an ACME CA; see ``ACMEConfiguration``. The
///   ACME certificate comes first (the default); listed `certificates` follow it.
/// - `min_version` (`"1.2"` or `"1.3"`, default `"1.2"`).
/// - `session_tickets` (bool, default `true`): offer stateless session resumption.
/// - `ticket_key_rotation` (duration, default `1h`): how often the ticket key is replaced.
/// - `handshake_timeout` (duration, default `10s`): close connections that have not completed
///   the handshake by then.
/// - `ticket_key_files` (list of paths, default none): session-ticket keys shared by several
///   Portcullis instances (80 bytes each, as nginx's `ssl_session_ticket_key`: make one with
///   `openssl rand 80`). The first seals new tickets, all open them. Replaces the in-process keys
///   and their rotation; rotate by replacing the files on every instance and reloading.
/// - `alpn` (list of `h2` and `http/1.1`, default `[h2, http/1.1]`): the application protocols
///   offered, preferred first; `[http/1.1]` turns HTTP/2 off.
/// - `hsts` (mapping or `false`, default on with `max_age: 365d`): see ``HSTSConfiguration``.
/// - `watch_files` (bool, default `true`): every certificate and key file is watched; a change
///   is read and served without a reload (a broken file keeps the current certificate).
/// - `ocsp_stapling` (bool, default `true`): a certificate whose leaf names an OCSP responder
///   gets its OCSP response fetched, cached beside it (`<cert>.ocsp`) and stapled.
public struct ListenerTLS: Sendable, Equatable {
    public var certificates: [CertificatePair]
    /// `"1.2"` or `"1.3"`.
    public var minimumVersion: String
    public var sessionTickets: Bool
    public var ticketKeyRotation: Duration
    public var handshakeTimeout: Duration
    /// Absolute paths; empty for in-process keys.
    public var ticketKeyFiles: [String]
    /// `h2` and/or `http/1.1`, preferred first.
    public var alpn: [String]
    /// `nil`: no `Strict-Transport-Security`.
    public var hsts: HSTSConfiguration?
    /// `nil`: no ACME.
    public var acme: ACMEConfiguration?
    public var watchFiles: Bool
    public var ocspStapling: Bool

    public init(
        certificates: [CertificatePair],
        minimumVersion: String = "1.2",
        sessionTickets: Bool = true,
        ticketKeyRotation: Duration = .seconds(3600),
        handshakeTimeout: Duration = .seconds(10),
        ticketKeyFiles: [String] = [],
        alpn: [String] = Defaults.TLS.alpn,
        hsts: HSTSConfiguration? = HSTSConfiguration(),
        acme: ACMEConfiguration? = nil,
        watchFiles: Bool = Defaults.TLS.watchFiles,
        ocspStapling: Bool = Defaults.TLS.ocspStapling
    ) {
        self.acme = acme
        self.certificates = certificates
        self.minimumVersion = minimumVersion
        self.sessionTickets = sessionTickets
        self.ticketKeyRotation = ticketKeyRotation
        self.handshakeTimeout = handshakeTimeout
        self.ticketKeyFiles = ticketKeyFiles
        self.alpn = alpn
        self.hsts = hsts
        self.watchFiles = watchFiles
        self.ocspStapling = ocspStapling
    }
}
