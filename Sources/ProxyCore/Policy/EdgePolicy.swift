public import NIOHTTP1

/// The edge policy of a listener or of a route, at run time: its access list, its rate limits,
/// its path rewrite and its header rules. Made once per configuration (``ListenerPlan`` maps the
/// configuration to it), shared by every connection of every event loop; a reference, so a
/// route's policy costs one pointer per request to look at.
public final class EdgePolicy: Sendable {
    public let access: AccessList?
    /// `routes[].auth`, checked after the access list and before the rate limits.
    public let auth: (any RequestAuthenticator)?
    /// Checks that answer later (`auth.basic`, `auth.forward`, shared rate limits), in order,
    /// after every check above passed.
    public let admissionChecks: [any AdmissionCheck]
    public let rateLimits: [RateLimitRule]
    public let rewrite: PathRewrite?
    /// Request header rules (the listener's under the route's); `nil` for none.
    public let requestRules: HeaderRules?
    /// The response header rules' lines that use variables (those without are in the
    /// listener's or route's response rewriter).
    public let responseLines: [HeaderRules.Line]
    /// The response rewriter of a route with response header rules: the listener's, plus the
    /// rules' dropped names and static lines. `nil`: the listener's.
    public let responseRewriter: ResponseHeaderRewriter?

    public init(
        access: AccessList? = nil,
        auth: (any RequestAuthenticator)? = nil,
        admissionChecks: [any AdmissionCheck] = [],
        rateLimits: [RateLimitRule] = [],
        rewrite: PathRewrite? = nil,
        requestRules: HeaderRules? = nil,
        responseLines: [HeaderRules.Line] = [],
        responseRewriter: ResponseHeaderRewriter? = nil
    ) {
        self.access = access
        self.auth = auth
        self.admissionChecks = admissionChecks
        self.rateLimits = rateLimits
        self.rewrite = rewrite
        self.requestRules = requestRules?.isEmpty == true ? nil : requestRules
        self.responseLines = responseLines
        self.responseRewriter = responseRewriter
    }

    /// Whether it turns requests away at all (an access list or a rate limit).
    public var admitsEveryone: Bool { self.access == nil && self.auth == nil && self.rateLimits.isEmpty && self.admissionChecks.isEmpty }

    /// The one decision of whether a request may pass: the access list first, then the
    /// authentication, then every rate limit (each takes a token only when every earlier one
    /// passed).
    ///
    /// - Parameters:
    ///   - clientAddress: The real client address (after `trusted_proxies` and PROXY protocol).
    ///   - now: Monotonic nanoseconds (> 0).
    ///   - unixTime: Seconds since 1970 (token expiry).
    ///   - rateLimitFields: Gets the `RateLimit` fields to add to the response.
    ///   - authFields: Gets the fields authentication sends on to the target.
    /// - Returns: `nil` to let the request through.
    public func admit(
        clientAddress: String,
        fields: HTTPHeaders,
        now: UInt64,
        unixTime: Int64,
        rateLimitFields: inout [PolicyRefusal.Field],
        authFields: inout [PolicyRefusal.Field],
        claims: inout [String: String]
    ) -> PolicyRefusal? {
        if let access = self.access, !access.admits(clientAddress) {
            return PolicyRefusal(status: .forbidden, reason: "access_denied", detail: "client address not allowed")
        }
        if let auth = self.auth {
            switch auth.authenticate(fields, now: unixTime) {
            case .refused(let refusal):
                return refusal
            case .passed(let found, let passedFields):
                claims = found
                authFields = passedFields
            }
        }
        for rule in self.rateLimits {
            guard let hash = rule.key.hash(clientAddress: clientAddress, fields: fields, claim: { claims[$0] }) else { continue }
            let decision = rule.limiter.take(keyHash: hash, now: now)
            if let refusal = rule.key.outcome(decision, policyField: rule.policyField, limitName: rule.name, responseFields: &rateLimitFields) {
                return refusal
            }
        }
        return nil
    }
}
