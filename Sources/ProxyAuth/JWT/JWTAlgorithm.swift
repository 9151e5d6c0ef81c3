internal import CSSL

/// A JWS signature algorithm (RFC 7518 §3) that ``JWTVerifier`` can check.
///
/// Only asymmetric algorithms: the proxy holds public keys, never a shared secret, so there is
/// no `HS256` and no way to confuse a public key with an HMAC secret. `none` is never accepted.
public enum JWTAlgorithm: String, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    /// ECDSA with P-256 and SHA-256.
    case es256 = "ES256"
    /// ECDSA with P-384 and SHA-384.
    case es384 = "ES384"
    /// ECDSA with P-521 and SHA-512.
    case es512 = "ES512"
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    case rs256 = "RS256"
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    case rs384 = "RS384"
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    case rs512 = "RS512"
    /// RSASSA-PSS with SHA-256 (MGF1 with SHA-256, 32-byte salt).
    case ps256 = "PS256"
    /// RSASSA-PSS with SHA-384.
    case ps384 = "PS384"
    /// RSASSA-PSS with SHA-512.
    case ps512 = "PS512"

    public var description: String {
        self.rawValue
    }

    /// The kind of key this algorithm signs with.
    var keyType: VerificationKey.KeyType {
        switch self {
        case .es256: .ellipticCurve(.p256)
        case .es384: .ellipticCurve(.p384)
        case .es512: .ellipticCurve(.p521)
        case .rs256, .rs384, .rs512, .ps256, .ps384, .ps512: .rsa
        }
    }

    /// Whether the RSA padding is PSS rather than PKCS #1 v1.5.
    var usesPSS: Bool {
        switch self {
        case .ps256, .ps384, .ps512: true
        default: false
        }
    }

    /// OpenSSL's `EVP_MD` for the message digest (a static object; never freed).
    var messageDigest: OpaquePointer {
        switch self {
        case .es256, .rs256, .ps256: EVP_sha256()
        case .es384, .rs384, .ps384: EVP_sha384()
        case .es512, .rs512, .ps512: EVP_sha512()
        }
    }
}
