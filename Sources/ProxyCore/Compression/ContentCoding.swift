/// A content coding Portcullis compresses responses with (RFC 9110 §8.4.1).
public enum ContentCoding: String, Sendable, CaseIterable, Hashable {
    case zstd
    case br
    case gzip

    /// The token sent in `Content-Encoding` and matched in `Accept-Encoding`.
    public var token: String { self.rawValue }

    /// The coding a token names, compared case-insensitively; `x-gzip` is gzip (RFC 9110
    /// §8.4.1.3). `nil` for any other token (`identity`, `*`, `deflate`, unknown ones).
    init?(token: Substring) {
        switch token.count {
        case 2 where Self.equals(token, "br"): self = .br
        case 4 where Self.equals(token, "zstd"): self = .zstd
        case 4 where Self.equals(token, "gzip"): self = .gzip
        case 6 where Self.equals(token, "x-gzip"): self = .gzip
        default: return nil
        }
    }

    /// ASCII case-insensitive equality with a lower-case literal.
    static func equals(_ text: Substring, _ lowercased: String) -> Bool {
        guard text.utf8.count == lowercased.utf8.count else { return false }
        return zip(text.utf8, lowercased.utf8).allSatisfy { a, b in
            (a >= 0x41 && a <= 0x5A ? a | 0x20 : a) == b
        }
    }
}
