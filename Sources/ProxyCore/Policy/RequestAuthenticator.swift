public import NIOHTTP1

/// A route's authentication (`routes[].auth`), as the request path calls it: quick and
/// synchronous (a hash or a signature check; nothing that blocks the event loop). The
/// composition root implements it with ProxyAuth's verifiers.
public protocol RequestAuthenticator: Sendable {
    /// - Parameter now: Seconds since 1970 (for token expiry).
    func authenticate(_ fields: HTTPHeaders, now: Int64) -> Authentication
}

/// What an authenticator found.
public enum Authentication {
    /// Let through: the claims rate limits may be keyed by (`jwt_claim:NAME`), and the fields
    /// that go to the target with the request (`claims_to_headers`).
    case passed(claims: [String: String], fields: [PolicyRefusal.Field])
    /// Turned away (`401` with its `WWW-Authenticate`).
    case refused(PolicyRefusal)
}
