internal import CSSL

/// A TLS protocol version.
///
/// Listeners accept only ``tls12`` and ``tls13``. The older versions exist so that a test
/// client can prove a listener refuses them.
public enum TLSProtocolVersion: String, Sendable, CaseIterable, Comparable {
    /// TLS 1.0. Refused by ``TLSServerContext``; for test clients only.
    case tls10 = "1.0"
    /// TLS 1.1. Refused by ``TLSServerContext``; for test clients only.
    case tls11 = "1.1"
    case tls12 = "1.2"
    case tls13 = "1.3"

    var openSSLValue: CInt {
        switch self {
        case .tls10: TLS1_VERSION
        case .tls11: TLS1_1_VERSION
        case .tls12: TLS1_2_VERSION
        case .tls13: TLS1_3_VERSION
        }
    }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.openSSLValue < rhs.openSSLValue }
}
