public import NIOCore
public import NIOHTTP1

/// A policy check that cannot decide at once: an auth service's answer (`auth.forward`), a
/// password hash computed off the event loop (`auth.basic`), a rate-limit bucket shared in Redis.
/// The session holds the request (its body buffered, up to the connect buffer's limit) until the
/// future completes on the loop.
public protocol AdmissionCheck: Sendable {
    /// - Returns: A future completed on `loop.eventLoop`. A failed future is a check that could
    ///   not be made; each check decides itself whether that lets the request through (a rate
    ///   limit fails open) or not (authentication fails closed), and says so as an ``Admission``.
    func admit(_ request: AdmissionRequest, loop: ProxyLoop) -> EventLoopFuture<Admission>
}

/// What an admission check may look at.
public struct AdmissionRequest: Sendable {
    /// The request as the client sent it (its path normalised).
    public var head: HTTPRequestHead
    /// The real client address.
    public var clientAddress: String
    /// `https` or `http`.
    public var scheme: String
    /// A verified token's claims (`auth.jwt`), for `jwt_claim:` keys.
    public var claims: [String: String]
    /// The listener's name, for metrics.
    public var listener: String

    public init(head: HTTPRequestHead, clientAddress: String, scheme: String, claims: [String: String] = [:], listener: String = "-") {
        self.head = head
        self.clientAddress = clientAddress
        self.scheme = scheme
        self.claims = claims
        self.listener = listener
    }
}

/// An admission check's decision.
public enum Admission: Sendable {
    /// Let through, with fields for the target (an auth service's `copy_headers`) and fields
    /// for the response (`RateLimit`).
    case passed(requestFields: [PolicyRefusal.Field], responseFields: [PolicyRefusal.Field])
    /// Turned away with this answer.
    case refused(PolicyRefusal)
}
