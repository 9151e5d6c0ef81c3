/// How a TLS client (upstream connections, tests) connects.
///
/// Configuration keys (with defaults):
/// - `trustRootsPEMPath` (`nil`): PEM file of trusted CA certificates. When set, the server's
///   chain is verified; when `nil`, no verification happens (tests only).
/// - `serverName` (`nil`): sent as SNI (unless it is an IP address) and, when
///   `verifiesHostname` is on and trust roots are set, checked against the certificate.
/// - `verifiesHostname` (`true`).
/// - `usesSystemTrustRoots` (`false`): without `trustRootsPEMPath`, verify against the system's
///   roots (OpenSSL's default paths) instead of not at all.
/// - `applicationProtocols` (`[]`): ALPN names offered, in preference order.
/// - `minimumVersion` / `maximumVersion` (`nil` = OpenSSL's defaults). Setting a maximum
///   below TLS 1.2 lowers the OpenSSL security level to 0 so legacy hellos can be sent.
/// - `sessionTickets` (`true`): accept tickets, exposing them as ``TLSSession``.
/// - `handshakeTimeout` (10 s).
public struct TLSClientConfiguration: Sendable {
    public var trustRootsPEMPath: String?
    public var serverName: String?
    public var verifiesHostname: Bool = true
    public var usesSystemTrustRoots: Bool = false
    public var applicationProtocols: [String] = []
    public var minimumVersion: TLSProtocolVersion?
    public var maximumVersion: TLSProtocolVersion?
    public var sessionTickets: Bool = true
    public var handshakeTimeout: Duration = .seconds(10)

    /// Whether the server's chain is verified: trust roots given, or the system's.
    var verifiesPeer: Bool { self.trustRootsPEMPath != nil || self.usesSystemTrustRoots }

    public init(
        trustRootsPEMPath: String? = nil,
        serverName: String? = nil,
        applicationProtocols: [String] = []
    ) {
        self.trustRootsPEMPath = trustRootsPEMPath
        self.serverName = serverName
        self.applicationProtocols = applicationProtocols
    }
}
