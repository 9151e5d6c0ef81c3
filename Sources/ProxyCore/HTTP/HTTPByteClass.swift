/// What each byte may be part of in HTTP/1 syntax (RFC 9110 §5.6.2, §5.5; RFC 9112 §3.2): one
/// table lookup per byte, shared by the parser and the validator.
enum HTTPByteClass {
    /// `tchar`: visible ASCII except delimiters.
    static let token: UInt8 = 1
    /// `field-vchar`, space and horizontal tab: no control character but HTAB, no DEL.
    static let fieldValue: UInt8 = 2
    /// Visible ASCII: what a request target may hold (RFC 3986 has no other bytes; anything else
    /// must be percent-encoded).
    static let target: UInt8 = 4

    /// Indexed by byte.
    static let table: [UInt8] = (0...255).map { (byte: UInt8) -> UInt8 in
        var classes: UInt8 = 0
        switch byte {
        case 0x30...0x39, 0x41...0x5A, 0x61...0x7A, UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"),
            UInt8(ascii: "%"), UInt8(ascii: "&"), UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"),
            UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"),
            UInt8(ascii: "|"), UInt8(ascii: "~"):
            classes |= token
        default:
            break
        }
        if byte == 0x09 || (byte >= 0x20 && byte != 0x7F) {
            classes |= fieldValue
        }
        if byte > 0x20 && byte < 0x7F {
            classes |= target
        }
        return classes
    }
}
