/// Strict base64 decoding: the standard alphabet with padding (`Authorization: Basic`), and the
/// URL-safe alphabet without padding (JWS, JWK).
///
/// Both reject anything a correct encoder would not produce: characters outside the alphabet,
/// whitespace, a length no encoding has, misplaced padding, and non-zero bits left over in the
/// last character. Two different strings therefore never decode to the same bytes.
enum Base64 {
    /// Decodes standard base64 (`+`, `/`) with its `=` padding, the form RFC 7617 uses.
    ///
    /// - Returns: The bytes, or `nil` if `text` is not canonical padded base64.
    static func decodeStandard(_ text: some Collection<UInt8>) -> [UInt8]? {
        guard text.count % 4 == 0 else { return nil }
        var padding = 0
        var index = text.endIndex
        while padding < 2, index != text.startIndex {
            let previous = text.index(index, offsetBy: -1)
            guard text[previous] == UInt8(ascii: "=") else { break }
            index = previous
            padding += 1
        }
        // "xx=" + "=" is fine; a body whose length needs no padding must have none.
        let body = text[text.startIndex..<index]
        guard padding == 0 || body.count % 4 == 4 - padding else { return nil }
        return Self.decode(body, urlSafe: false)
    }

    /// Decodes base64url (`-`, `_`) without padding, the form RFC 7515 (JWS) and RFC 7517 (JWK) use.
    ///
    /// - Returns: The bytes, or `nil` if `text` is not canonical unpadded base64url.
    static func decodeURL(_ text: some Collection<UInt8>) -> [UInt8]? {
        Self.decode(text, urlSafe: true)
    }

    /// Decodes unpadded base64 in either alphabet.
    private static func decode(_ text: some Collection<UInt8>, urlSafe: Bool) -> [UInt8]? {
        let count = text.count
        guard count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        output.reserveCapacity(count / 4 * 3 + 2)
        var accumulator: UInt32 = 0
        var pending = 0
        for character in text {
            guard let sextet = Self.sextet(character, urlSafe: urlSafe) else { return nil }
            accumulator = accumulator << 6 | UInt32(sextet)
            pending += 1
            if pending == 4 {
                output.append(UInt8(truncatingIfNeeded: accumulator >> 16))
                output.append(UInt8(truncatingIfNeeded: accumulator >> 8))
                output.append(UInt8(truncatingIfNeeded: accumulator))
                accumulator = 0
                pending = 0
            }
        }
        switch pending {
        case 2:
            guard accumulator & 0xF == 0 else { return nil }
            output.append(UInt8(truncatingIfNeeded: accumulator >> 4))
        case 3:
            guard accumulator & 0x3 == 0 else { return nil }
            output.append(UInt8(truncatingIfNeeded: accumulator >> 10))
            output.append(UInt8(truncatingIfNeeded: accumulator >> 2))
        default:
            break
        }
        return output
    }

    @inline(__always)
    private static func sextet(_ character: UInt8, urlSafe: Bool) -> UInt8? {
        switch character {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): character - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): character - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): character - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+") where !urlSafe, UInt8(ascii: "-") where urlSafe: 62
        case UInt8(ascii: "/") where !urlSafe, UInt8(ascii: "_") where urlSafe: 63
        default: nil
        }
    }
}
