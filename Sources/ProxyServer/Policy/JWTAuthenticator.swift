import NIOConcurrencyHelpers
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
    /// Tokens that verified, with what their checks gave, until they expire: a client sends the
    /// same token on every request, and an ES256 verification costs ~80 µs (decision 0018).
    let verified = VerifiedTokens()

    /// Verified tokens by their exact text (compared whole on a hit: no collision can pass),
    /// each with the time window in which it stays valid. At most ``capacity`` (all dropped
    /// when full); tokens longer than 4 KiB are not kept.
    final class VerifiedTokens: Sendable {
        struct Entry: Sendable {
            var notBefore: Int64
            var expiresAt: Int64
            var claims: [String: String]
            var fields: [PolicyRefusal.Field]
        }

        static let capacity = 10_000
        private let entries = NIOLockedValueBox([Substring: Entry]())

        func lookup(_ token: Substring, now: Int64) -> Entry? {
            guard let entry = self.entries.withLockedValue({ $0[token] }) else { return nil }
            guard now >= entry.notBefore && now <= entry.expiresAt else { return nil }
            return entry
        }

        func insert(_ token: Substring, _ entry: Entry) {
            guard token.utf8.count <= 4096 else { return }
            self.entries.withLockedValue { entries in
                if entries.count >= Self.capacity { entries.removeAll(keepingCapacity: true) }
                entries[token] = entry
            }
        }
    }

    func authenticate(_ fields: HTTPHeaders, now: Int64) -> Authentication {
        guard let authorization = fields.first(name: "authorization"), let token = Self.bearerToken(authorization) else {
            return .refused(
                PolicyRefusal(status: .unauthorized, reason: "auth_missing", detail: "no bearer token", fields: [.init("WWW-Authenticate", "Bearer")])
            )
        }
        if let known = self.verified.lookup(token, now: now) {
            return .passed(claims: known.claims, fields: known.fields)
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
            // Valid from nbf − leeway to exp + leeway, as the verifier decided.
            let leeway = self.verifier.settings.leeway
            let expiry = claims.text(of: "exp").flatMap { Double($0) }.map { Int64($0) }
            let start = claims.text(of: "nbf").flatMap { Double($0) }.map { Int64($0) }
            if let expiry {
                self.verified.insert(
                    token,
                    VerifiedTokens.Entry(notBefore: (start ?? Int64.min / 2) - leeway, expiresAt: expiry + leeway, claims: found, fields: sent)
                )
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
