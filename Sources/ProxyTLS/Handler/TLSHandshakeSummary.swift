/// What a finished handshake negotiated: given to the server's ``TLSHandshakeObserver`` and
/// kept by each handler (``TLSServerHandler/handshakeSummary``, ``TLSClientHandler/handshakeSummary``).
public struct TLSHandshakeSummary: Sendable, Hashable {
    /// OpenSSL's name for the version, such as `TLSv1.3`.
    public var version: String
    /// OpenSSL's cipher suite name, such as `TLS_AES_128_GCM_SHA256`.
    public var cipher: String
    /// The SNI name the client sent (server role) or the one we sent (client role).
    public var serverName: String?
    /// The ALPN protocol both sides agreed on, if any.
    public var applicationProtocol: String?
    /// Whether an earlier session was resumed (no full handshake).
    public var resumed: Bool

    public init(version: String, cipher: String, serverName: String?, applicationProtocol: String?, resumed: Bool) {
        self.version = version
        self.cipher = cipher
        self.serverName = serverName
        self.applicationProtocol = applicationProtocol
        self.resumed = resumed
    }
}
