import Foundation

/// base64url without padding, as JWS writes it: the test side of the library's decoder.
func base64URL(_ bytes: [UInt8]) -> String {
    let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
    var output: [UInt8] = []
    var index = 0
    while index < bytes.count {
        let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
        let value = chunk.enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (16 - 8 * $1.offset) }
        for position in 0...chunk.count {
            output.append(alphabet[Int(value >> (18 - 6 * position) & 0x3F)])
        }
        index += 3
    }
    return String(decoding: output, as: UTF8.self)
}

func base64URL(_ text: String) -> String {
    base64URL(Array(text.utf8))
}

/// Standard base64 with padding, for `Authorization: Basic`.
func base64Standard(_ text: String) -> String {
    var encoded = base64URL(text).replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while encoded.utf8.count % 4 != 0 {
        encoded += "="
    }
    return encoded
}

/// Hex digits of `bytes`, lowercase.
func hex(_ bytes: [UInt8]) -> String {
    bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
}

/// A minimal DER reader for the test helpers: public keys and ECDSA signatures from openssl.
struct DER {
    /// One TLV: its tag and content.
    struct Element {
        var tag: UInt8
        var content: ArraySlice<UInt8>
    }

    /// Reads consecutive TLVs from `bytes` (definite lengths only, as DER requires).
    static func elements(_ bytes: ArraySlice<UInt8>) throws -> [Element] {
        var elements: [Element] = []
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let tag = bytes[index]
            var length = Int(bytes[index + 1])
            index += 2
            if length & 0x80 != 0 {
                let count = length & 0x7F
                length = bytes[index..<index + count].reduce(0) { $0 << 8 | Int($1) }
                index += count
            }
            guard index + length <= bytes.endIndex else { throw ToolError(description: "truncated DER") }
            elements.append(Element(tag: tag, content: bytes[index..<index + length]))
            index += length
        }
        return elements
    }

    /// The content of the single TLV in `bytes`, which must have `tag`.
    static func single(_ bytes: ArraySlice<UInt8>, tag: UInt8) throws -> ArraySlice<UInt8> {
        let elements = try Self.elements(bytes)
        guard elements.count == 1, elements[0].tag == tag else { throw ToolError(description: "unexpected DER") }
        return elements[0].content
    }
}
