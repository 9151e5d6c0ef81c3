import ProxyCore
import ProxyTLS

/// Signs stickiness cookies with HMAC-SHA256 under a key made at startup.
///
/// The key lives only in this process: after a restart, old cookies no longer verify and
/// clients are simply balanced again (and get a new cookie).
struct HMACCookieSigner: CookieSigner {
    private let key: [UInt8]

    init(key: [UInt8] = MessageAuthentication.randomBytes(32)) {
        self.key = key
    }

    func signature(for value: String) -> String {
        let mac = MessageAuthentication.hmacSHA256(key: self.key, message: Array(value.utf8))
        let hex: [Character] = Array("0123456789abcdef")
        var text = ""
        text.reserveCapacity(32)
        for byte in mac.prefix(16) {
            text.append(hex[Int(byte >> 4)])
            text.append(hex[Int(byte & 0x0F)])
        }
        return text
    }
}
