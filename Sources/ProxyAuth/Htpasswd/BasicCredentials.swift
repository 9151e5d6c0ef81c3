/// A user name and password from an `Authorization: Basic` header (RFC 7617).
public struct BasicCredentials: Hashable, Sendable {
    public let user: String
    public let password: String

    public init(user: String, password: String) {
        self.user = user
        self.password = password
    }

    /// Decodes an `Authorization` header value such as `Basic Ym9iOnNlY3JldA==`.
    ///
    /// The scheme name is case-insensitive and may be followed by any number of spaces. The
    /// credentials must be canonical base64 in the standard alphabet with its `=` padding, and
    /// decode to UTF-8 text; the user name ends at the first `:`, so a password may contain `:`.
    ///
    /// - Returns: The credentials, or `nil` for another scheme, malformed base64, text that is
    ///   not UTF-8, or no `:`.
    public init?(authorization value: some StringProtocol) {
        let bytes = Array(value.utf8)
        let isSpace: (UInt8) -> Bool = { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") }
        guard let start = bytes.firstIndex(where: { !isSpace($0) }),
            bytes.count - start > 6,
            bytes[start..<start + 5].map({ $0 | 0x20 }) == Array("basic".utf8),
            isSpace(bytes[start + 5])
        else {
            return nil
        }
        let afterScheme = bytes[(start + 6)...].drop(while: isSpace)
        var token = afterScheme[...]
        while let last = token.last, isSpace(last) {
            token.removeLast()
        }
        guard let decoded = Base64.decodeStandard(token),
            decoded.withUnsafeBufferPointer({ UTF8Validation.firstInvalidOffset(in: $0) == nil }),
            let colon = decoded.firstIndex(of: UInt8(ascii: ":"))
        else {
            return nil
        }
        self.user = String(decoding: decoded[..<colon], as: UTF8.self)
        self.password = String(decoding: decoded[(colon + 1)...], as: UTF8.self)
    }
}
