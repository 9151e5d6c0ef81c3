/// `listeners[].proxy_protocol`: the listener takes the PROXY protocol (v1 or v2, HAProxy's
/// spec) before anything else (before TLS), from the peers in `trusted` only; the client address
/// it carries is the request's client address (for `allow`/`deny`, rate limits, logs and
/// `X-Forwarded-For`). A connection from another peer is closed at accept; a missing or broken
/// header closes the connection (after `limits.header_timeout` at most).
///
/// Configuration keys:
/// - `trusted` (list of CIDRs, required): the L4 load balancers that send the header.
public struct ProxyProtocolConfiguration: Sendable, Hashable {
    public var trusted: [CIDR]

    public init(trusted: [CIDR]) {
        self.trusted = trusted
    }
}
