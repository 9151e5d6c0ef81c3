import NIOHTTP1
import ProxyAuth
import ProxyCore

/// `auth.jwt`: an `Authorization: Bearer` token verified with ProxyAuth's ``JWTVerifier``
/// (OpenSSL); the named claims go to the target in the named fields. A refusal carries the
/// RFC 6750 challenge.
struct JWTAuthenticator: RequestAuthenticator {
    let verifier: JWTVerifier
    /// Claim name → field name.
    let claimsToHeaders: [(claim: String, field: String)]
    /// Claims rate limits are keyed by (`jwt_claim:NAME`).
    let limitClaims: [String]

    func authenticate(_ fields: HTTPHeaders, now: Int64) -> Authentication {
        guard let authorization = fields.first(name: "authorization"), let token = Self.bearerToken(authorization) else {
            return .refused(
                PolicyRefusal(status: .unauthorized, reason: "auth_missing", detail: "no bearer token", fields: [.init("WWW-Authenticate", "Bearer")])
            )
        }
        switch self.verifier.verify(token, now: now) {
        case .failure(let failure):
            return .refused(
                PolicyRefusal(
                    status: .unauthorized,
                    reason: "auth_failed",
                    detail: "token refused: \(failure)",
                    fields: [.init("WWW-Authenticate", "Bearer error=\"invalid_token\", error_description=\"\(failure)\"")]
                )
            )
        case .success(let claims):
            var found: [String: String] = [:]
            var sent: [PolicyRefusal.Field] = []
            for (claim, field) in self.claimsToHeaders {
                // Only a value that can be a field value goes on (no control characters).
                guard let value = claims.text(of: claim), Self.isFieldValue(value) else { continue }
                sent.append(.init(field, value))
            }
            for claim in self.limitClaims {
                if let value = claims.text(of: claim) { found[claim] = value }
            }
            return .passed(claims: found, fields: sent)
        }
    }

    /// The token of `Bearer <token>` (scheme case-insensitive).
    static func bearerToken(_ value: String) -> Substring? {
        let parts = value.split(separator: " ", maxSplits: 1, omittingEmptySubsequences: true)
        guard parts.count == 2, parts[0].lowercased() == "bearer" else { return nil }
        let token = parts[1].drop { $0 == " " }
        return token.isEmpty ? nil : token
    }

    private static func isFieldValue(_ value: String) -> Bool {
        !value.isEmpty && value.utf8.count <= 1024 && value.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F }
    }
}
