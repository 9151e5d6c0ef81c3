internal import CSSL

/// Keyed message authentication with OpenSSL's HMAC, for values we hand to clients and must
/// recognise later (stickiness cookies).
public enum MessageAuthentication {
    /// HMAC-SHA256 of `message` under `key`.
    public static func hmacSHA256(key: [UInt8], message: [UInt8]) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: 32)
        var length = 0
        let ok = key.withUnsafeBytes { keyBytes in
            message.withUnsafeBytes { messageBytes in
                output.withUnsafeMutableBytes { out in
                    EVP_Q_mac(
                        nil, "HMAC", nil, "SHA256", nil,
                        keyBytes.baseAddress, keyBytes.count,
                        messageBytes.bindMemory(to: UInt8.self).baseAddress, messageBytes.count,
                        out.bindMemory(to: UInt8.self).baseAddress, out.count, &length
                    )
                }
            }
        }
        precondition(ok != nil && length == 32, "HMAC-SHA256 failed")
        return output
    }

    /// `count` cryptographically random bytes.
    public static func randomBytes(_ count: Int) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let ok = bytes.withUnsafeMutableBytes { RAND_bytes($0.bindMemory(to: UInt8.self).baseAddress, CInt(count)) }
        precondition(ok == 1, "RAND_bytes failed")
        return bytes
    }
}
