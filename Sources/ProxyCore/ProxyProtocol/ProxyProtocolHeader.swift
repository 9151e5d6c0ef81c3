/// What a PROXY protocol header (HAProxy's `proxy-protocol.txt`, version 1 or 2) says about the
/// connection it starts: who the client really was, as seen by the proxy in front of us.
///
/// Made by ``ProxyProtocolParser``. When ``addresses`` is ``Addresses/unknown`` the header
/// carries no client (a v1 `UNKNOWN` line, a v2 `LOCAL` command such as a health check, or a v2
/// family we do not take): the connection's own peer stays the client.
public struct ProxyProtocolHeader: Hashable, Sendable {
    /// The format the header was written in.
    public enum Version: Int, Hashable, Sendable {
        /// The text line `PROXY TCP4 ...\r\n`.
        case v1 = 1
        /// The binary header that starts with `\r\n\r\n\0\r\nQUIT\n`.
        case v2 = 2
    }

    /// Why the proxy in front opened the connection.
    public enum Command: Hashable, Sendable {
        /// On behalf of a client: the header describes the client's connection. Every v1 header.
        case proxy
        /// On its own behalf (a health check): the header's addresses are ignored. v2 only.
        case local
    }

    /// One end of the original connection.
    public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
        /// `192.0.2.1`, or IPv6 in RFC 5952's canonical form (`2001:db8::1`, `::ffff:192.0.2.1`).
        public var address: String
        /// 0...65535.
        public var port: Int

        public init(address: String, port: Int) {
            self.address = address
            self.port = port
        }

        /// Whether ``address`` is an IPv6 address.
        public var isIPv6: Bool { self.address.utf8.contains(UInt8(ascii: ":")) }

        /// `192.0.2.1:443`, or `[2001:db8::1]:443`.
        public var description: String {
            self.isIPv6 ? "[\(self.address)]:\(self.port)" : "\(self.address):\(self.port)"
        }
    }

    /// The addresses of the original connection, when the header gives them.
    public enum Addresses: Hashable, Sendable {
        /// TCP over IPv4 or IPv6 (v1 `TCP4`/`TCP6`, v2 `AF_INET`/`AF_INET6` with `STREAM`). Both
        /// ends have the same family.
        case tcp(source: Endpoint, destination: Endpoint)
        /// No usable addresses: use the connection's own peer.
        case unknown
    }

    public var version: Version
    public var command: Command
    public var addresses: Addresses
    /// The v2 `PP2_TYPE_ALPN` TLV's bytes (the protocol the client negotiated, such as `h2`),
    /// when present.
    public var alpn: [UInt8]?
    /// The v2 `PP2_TYPE_AUTHORITY` TLV (the host name the client asked for, its SNI), when present.
    public var authority: String?

    public init(
        version: Version,
        command: Command,
        addresses: Addresses,
        alpn: [UInt8]? = nil,
        authority: String? = nil
    ) {
        self.version = version
        self.command = command
        self.addresses = addresses
        self.alpn = alpn
        self.authority = authority
    }

    /// The real client: the source of ``Addresses/tcp(source:destination:)``, else `nil`.
    public var source: Endpoint? {
        guard case .tcp(let source, _) = self.addresses else { return nil }
        return source
    }

    /// The address the client connected to, else `nil`.
    public var destination: Endpoint? {
        guard case .tcp(_, let destination) = self.addresses else { return nil }
        return destination
    }
}
