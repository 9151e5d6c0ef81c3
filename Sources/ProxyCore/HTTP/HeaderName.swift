/// Case-insensitive comparison of header field names without allocating.
///
/// Field names are ASCII tokens (``RequestValidator`` refuses anything else, and the parser refuses
/// it in responses), so comparing bytes with the ASCII case bit folded is exact. `String.lowercased()`
/// plus a `Set` lookup cost an allocation and a hash per header on every request; this costs a
/// length check and, rarely, a short byte loop.
enum HeaderName {
    /// Whether `name` equals `lowercased` (which must be lowercase ASCII) ignoring ASCII case.
    @inline(__always)
    static func equals(_ name: String, _ lowercased: String) -> Bool {
        // Lengths first, before any copy: most comparisons end here.
        name.utf8.count == lowercased.utf8.count && Self.hasPrefix(name, lowercased)
    }

    /// Whether `name` starts with `lowercasedPrefix` (lowercase ASCII) ignoring ASCII case.
    static func hasPrefix(_ name: String, _ lowercasedPrefix: String) -> Bool {
        guard name.utf8.count >= lowercasedPrefix.utf8.count else { return false }
        // Native and small strings lend their bytes in place (no copy, no retain); the loop over
        // the views is the fallback for bridged ones.
        let inPlace = name.utf8.withContiguousStorageIfAvailable { a in
            lowercasedPrefix.utf8.withContiguousStorageIfAvailable { b in
                for index in 0..<b.count where Self.folded(a[index]) != b[index] {
                    return false
                }
                return true
            }
        }
        if let result = inPlace ?? nil {
            return result
        }
        for (byte, expected) in zip(name.utf8, lowercasedPrefix.utf8) where Self.folded(byte) != expected {
            return false
        }
        return true
    }

    /// Whether raw `bytes` (a field name or value being parsed) equal `lowercased` ignoring
    /// ASCII case.
    @inline(__always)
    static func matches(_ bytes: UnsafeRawBufferPointer, _ lowercased: StaticString) -> Bool {
        guard bytes.count == lowercased.utf8CodeUnitCount else { return false }
        let expected = lowercased.utf8Start
        for index in 0..<bytes.count where Self.folded(bytes[index]) != expected[index] {
            return false
        }
        return true
    }

    /// ``matches(_:_:)`` against a lowercased name known at run time.
    static func matches(_ bytes: UnsafeRawBufferPointer, lowercased: String) -> Bool {
        guard bytes.count == lowercased.utf8.count else { return false }
        return lowercased.utf8.withContiguousStorageIfAvailable { expected in
            for index in 0..<bytes.count where Self.folded(bytes[index]) != expected[index] {
                return false
            }
            return true
        } ?? false
    }

    /// `byte` with ASCII upper case letters made lower case.
    @inline(__always)
    static func folded(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }
}
