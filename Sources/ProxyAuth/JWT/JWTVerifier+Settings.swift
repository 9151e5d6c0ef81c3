extension JWTVerifier {
    /// What a token must satisfy besides a good signature.
    ///
    /// Configuration keys (of a route's `jwt` block): `issuer` (string, optional), `audience`
    /// (string, optional), `algorithms` (list, default `[ES256, RS256]`), `leeway` (seconds,
    /// default 60, at least 0).
    public struct Settings: Hashable, Sendable {
        /// When set, the token's `iss` must equal it.
        public var issuer: String?
        /// When set, the token's `aud` (a string or an array of strings) must contain it.
        public var audience: String?
        /// The header `alg` values accepted. Never empty; `none` is never accepted anyway.
        public var algorithms: Set<JWTAlgorithm>
        /// Seconds of clock difference tolerated in `exp` and `nbf`.
        public var leeway: Int64

        public init(
            issuer: String? = nil,
            audience: String? = nil,
            algorithms: Set<JWTAlgorithm> = [.es256, .rs256],
            leeway: Int64 = 60
        ) {
            self.issuer = issuer
            self.audience = audience
            self.algorithms = algorithms
            self.leeway = leeway
        }

        /// What is wrong with these settings, if anything.
        var problems: [AuthLoadError.Problem] {
            var problems: [AuthLoadError.Problem] = []
            if self.algorithms.isEmpty {
                problems.append(.init(line: nil, message: "algorithms: at least one algorithm must be allowed"))
            }
            if self.leeway < 0 {
                problems.append(.init(line: nil, message: "leeway: must not be negative (got \(self.leeway))"))
            }
            return problems
        }
    }
}
