/// The elliptic curves a JWK may name (RFC 7518 §6.2.1.1), with OpenSSL's names for them.
enum EllipticCurve: String, Hashable, Sendable {
    case p256 = "P-256"
    case p384 = "P-384"
    case p521 = "P-521"

    /// OpenSSL's group name. Static text: OpenSSL keeps the pointer while building parameters.
    var groupName: StaticString {
        switch self {
        case .p256: "prime256v1"
        case .p384: "secp384r1"
        case .p521: "secp521r1"
        }
    }

    /// The length of one coordinate, and of each half (r, s) of a JWS signature.
    var coordinateByteCount: Int {
        switch self {
        case .p256: 32
        case .p384: 48
        case .p521: 66
        }
    }
}
