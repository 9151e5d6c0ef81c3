/// `allow` and `deny` of a listener or a route: which client addresses may come in.
///
/// The address sets are closures over the configuration's CIDR lists (the composition root makes
/// them; `ProxyCore` knows no CIDR syntax), as `trusted_proxies` is.
public struct AccessList: Sendable {
    /// `nil`: every address is allowed (before `deny`).
    public var allow: (@Sendable (String) -> Bool)?
    /// `nil`: no address is denied.
    public var deny: (@Sendable (String) -> Bool)?

    public init(allow: (@Sendable (String) -> Bool)? = nil, deny: (@Sendable (String) -> Bool)? = nil) {
        self.allow = allow
        self.deny = deny
    }

    /// Whether the client at `address` may come in: in `allow` (when there is one) and not in `deny`.
    public func admits(_ address: String) -> Bool {
        if let allow = self.allow, !allow(address) { return false }
        if let deny = self.deny, deny(address) { return false }
        return true
    }
}
