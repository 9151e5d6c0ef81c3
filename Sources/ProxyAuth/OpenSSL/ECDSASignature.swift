/// Converts the JWS form of an ECDSA signature to the form OpenSSL verifies.
///
/// JWS (RFC 7518 §3.4) writes `r` and `s` as two big-endian integers of the curve's coordinate
/// length, back to back. OpenSSL wants the DER `ECDSA-Sig-Value`: `SEQUENCE { INTEGER r, INTEGER s }`.
enum ECDSASignature {
    /// The DER encoding of a raw `r || s` signature.
    ///
    /// - Returns: `nil` unless `raw` is exactly two coordinates long for `curve`.
    static func der(fromRaw raw: UnsafeRawBufferPointer, curve: EllipticCurve) -> [UInt8]? {
        let half = curve.coordinateByteCount
        guard raw.count == 2 * half else { return nil }
        let r = Self.integer(UnsafeRawBufferPointer(rebasing: raw[0..<half]))
        let s = Self.integer(UnsafeRawBufferPointer(rebasing: raw[half...]))
        var der: [UInt8] = [0x30]
        Self.appendLength(r.count + s.count, to: &der)
        der.append(contentsOf: r)
        der.append(contentsOf: s)
        return der
    }

    /// A DER INTEGER holding the unsigned big-endian `magnitude`: shortest form, with a leading
    /// zero byte when the top bit is set (so it is not read as negative).
    private static func integer(_ magnitude: UnsafeRawBufferPointer) -> [UInt8] {
        let significant = magnitude.drop(while: { $0 == 0 })
        var content: [UInt8] = significant.isEmpty ? [0] : Array(significant)
        if content[0] & 0x80 != 0 {
            content.insert(0, at: 0)
        }
        var encoded: [UInt8] = [0x02]
        Self.appendLength(content.count, to: &encoded)
        encoded.append(contentsOf: content)
        return encoded
    }

    /// A DER length: one byte below 128, else `0x81`/`0x82` and the length's bytes.
    private static func appendLength(_ length: Int, to output: inout [UInt8]) {
        switch length {
        case ..<0x80:
            output.append(UInt8(length))
        case ..<0x100:
            output.append(contentsOf: [0x81, UInt8(length)])
        default:
            output.append(contentsOf: [0x82, UInt8(length >> 8), UInt8(truncatingIfNeeded: length)])
        }
    }
}
