public import ProxyAuth

/// `routes[].auth`: who may use a route. A request without valid credentials gets `401` with a
/// `WWW-Authenticate` field; nothing reaches the target.
///
/// Exactly one method:
/// - `api_key: { header: X-API-Key, keys_file: path }`: the header's value, hashed with SHA-256,
///   must be one of the file's digests (one hex digest per line, an optional name after it);
///   compared in constant time.
/// - `jwt: { jwks_file: path, issuer, audience, algorithms: [ES256, RS256], leeway: 30s,
///   claims_to_headers: {sub: X-User} }`: an `Authorization: Bearer` token verified with
///   OpenSSL; `exp` required, `nbf`, `iss`, `aud` checked; `alg: none` never accepted. The
///   named claims go to the target in the named fields (a client's own fields of those names
///   are dropped).
///
/// - `basic: { users_file: path, realm: portcullis }`: an htpasswd file with bcrypt (`$2y$`) and
///   SHA-512-crypt (`$6$`) entries, checked with the system's crypt(3) off the event loop;
///   re-read on reload.
/// - `forward: { url: http://127.0.0.1:9000/auth, copy_headers: [X-User], timeout: 5s }`: an
///   auth service is asked first; `2xx` lets the request through with the named fields of its
///   answer, anything else goes back to the client as the service answered.
///
/// - `forward_credentials` (bool, default `false`): the `Authorization` field (basic) or the API
///   key's field goes on to the target too (a bearer token and what an auth service saw always do).
public struct AuthConfiguration: Sendable, Hashable {
    public enum Method: Sendable, Hashable {
        case apiKey(header: String, keysFile: String)
        case jwt(JWTAuthConfiguration)
        case basic(usersFile: String, realm: String)
        case forward(url: WebhookURL, copyHeaders: [String], timeout: Duration)
    }

    public var method: Method
    public var forwardCredentials: Bool

    public init(method: Method, forwardCredentials: Bool = false) {
        self.method = method
        self.forwardCredentials = forwardCredentials
    }
}

/// The `jwt` method of ``AuthConfiguration``.
public struct JWTAuthConfiguration: Sendable, Hashable {
    public var jwksFile: String
    public var issuer: String?
    public var audience: String?
    /// Upper-case JWS names (`ES256`, `RS256`, …).
    public var algorithms: [String]
    public var leeway: Duration
    /// Claim name → field name, in file order.
    public var claimsToHeaders: [HeaderRulesConfiguration.Field]

    public init(
        jwksFile: String,
        issuer: String? = nil,
        audience: String? = nil,
        algorithms: [String] = ["ES256", "RS256"],
        leeway: Duration = .seconds(30),
        claimsToHeaders: [HeaderRulesConfiguration.Field] = []
    ) {
        self.jwksFile = jwksFile
        self.issuer = issuer
        self.audience = audience
        self.algorithms = algorithms
        self.leeway = leeway
        self.claimsToHeaders = claimsToHeaders
    }
}

extension JWTAuthConfiguration {
    /// The verifier's settings for this block: the one mapping, used by `check` and at run time.
    public var verifierSettings: JWTVerifier.Settings {
        JWTVerifier.Settings(
            issuer: self.issuer,
            audience: self.audience,
            algorithms: Set(self.algorithms.compactMap { JWTAlgorithm(rawValue: $0) }),
            leeway: self.leeway.components.seconds
        )
    }
}
