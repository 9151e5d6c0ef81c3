/// Facts about one client connection that the request path logs and forwards.
///
/// Filled in by the composition root (for example the TLS version once the handshake is done)
/// and read by the ``ForwardingSession``.
///
/// > Important: Event-loop bound: create one per connection, touch it only on that connection's loop.
public final class ClientConnectionInfo {
    /// Negotiated TLS version such as `TLSv1.3`, or `nil` on plain-HTTP listeners.
    public var tlsVersion: String?
    /// The SNI server name the client sent, if any.
    public var serverName: String?
    /// The client address a PROXY protocol header gave (the connection's peer is a load
    /// balancer); `nil` without one.
    public var proxiedAddress: String?
    /// The client's port (the PROXY header's when one came), for a PROXY header to targets.
    public var sourcePort = 0
    /// The address and port the client connected to (the PROXY header's when one came).
    public var destination: (address: String, port: Int)?

    public init(tlsVersion: String? = nil, serverName: String? = nil) {
        self.tlsVersion = tlsVersion
        self.serverName = serverName
    }
}

@available(*, unavailable)
extension ClientConnectionInfo: Sendable {}
