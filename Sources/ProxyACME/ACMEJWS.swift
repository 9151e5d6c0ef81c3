public import ProxyTLS

/// Signs ACME requests: JWS in the flattened JSON serialization (RFC 7515 §7.2.2) with ES256
/// (RFC 8555 §6.2), the account key's JWK or its account URL (`kid`) in the protected header.
public struct ACMEJWS: Sendable {
    public let key: ACMEAccountKey
    /// `{"crv":"P-256","kty":"EC","x":…,"y":…}`: the members RFC 7638 requires, in its order.
    public let jwk: String
    /// base64url(SHA-256(jwk)): the thumbprint in every key authorization.
    public let thumbprint: String

    public init(key: ACMEAccountKey) throws {
        self.key = key
        let (x, y) = try key.publicCoordinates()
        self.jwk = Self.jwk(x: x, y: y)
        self.thumbprint = ACMEBase64URL.encode(acmeSHA256(Array(self.jwk.utf8)))
    }

    public static func jwk(x: [UInt8], y: [UInt8]) -> String {
        ACMEJSON.object([
            ("crv", ACMEJSON.string("P-256")),
            ("kty", ACMEJSON.string("EC")),
            ("x", ACMEJSON.string(ACMEBase64URL.encode(x))),
            ("y", ACMEJSON.string(ACMEBase64URL.encode(y))),
        ])
    }

    /// How the request names its signer.
    public enum Signer: Sendable, Equatable {
        /// newAccount (and lookups of an account by key): the public key itself.
        case jwk
        /// Everything else: the account URL.
        case kid(String)
    }

    /// The request body: `payload` is a JSON text, or `nil` for POST-as-GET (an empty payload).
    public func sign(payload: String?, url: String, nonce: String, signer: Signer) throws -> String {
        var header: [(String, String)] = [("alg", ACMEJSON.string("ES256"))]
        switch signer {
        case .jwk: header.append(("jwk", self.jwk))
        case .kid(let account): header.append(("kid", ACMEJSON.string(account)))
        }
        header.append(("nonce", ACMEJSON.string(nonce)))
        header.append(("url", ACMEJSON.string(url)))
        let protected = ACMEBase64URL.encode(ACMEJSON.object(header))
        let encodedPayload = payload.map { ACMEBase64URL.encode($0) } ?? ""
        let signature = try self.key.sign(Array("\(protected).\(encodedPayload)".utf8))
        return ACMEJSON.object([
            ("protected", ACMEJSON.string(protected)),
            ("payload", ACMEJSON.string(encodedPayload)),
            ("signature", ACMEJSON.string(ACMEBase64URL.encode(signature))),
        ])
    }

    /// RFC 8555 §8.1: `token || '.' || base64url(JWK thumbprint)`.
    public func keyAuthorization(token: String) -> String {
        "\(token).\(self.thumbprint)"
    }
}
