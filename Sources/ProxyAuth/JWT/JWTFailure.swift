/// Why ``JWTVerifier`` refused a token.
///
/// The description is short and fixed, fit for a log line or a `WWW-Authenticate` error
/// description. It never quotes the token or anything taken from it.
public enum JWTFailure: Error, Hashable, Sendable, CustomStringConvertible {
    /// Not a well-formed JWS compact token with JSON header and claims; `reason` is our fixed text.
    case malformed(reason: String)
    /// The header's `alg` is `none` (in any case), unknown, or not in ``JWTVerifier/Settings/algorithms``.
    case algorithmNotAllowed
    /// No key has the header's `kid` and fits its `alg`.
    case unknownKey
    /// No fitting key verifies the signature.
    case badSignature
    /// The claims have no `exp`.
    case missingExpiry
    /// `exp` plus the leeway is in the past.
    case expired
    /// `nbf` is further in the future than the leeway.
    case notYetValid
    /// `iss` is missing or differs from ``JWTVerifier/Settings/issuer``.
    case wrongIssuer
    /// `aud` is missing or does not contain ``JWTVerifier/Settings/audience``.
    case wrongAudience

    public var description: String {
        switch self {
        case .malformed(let reason): "malformed token: \(reason)"
        case .algorithmNotAllowed: "algorithm not allowed"
        case .unknownKey: "no key matches the token's kid and alg"
        case .badSignature: "bad signature"
        case .missingExpiry: "token has no exp claim"
        case .expired: "token expired"
        case .notYetValid: "token not yet valid"
        case .wrongIssuer: "wrong issuer"
        case .wrongAudience: "wrong audience"
        }
    }
}
