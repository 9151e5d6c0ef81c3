/// Compares two byte sequences in time that depends only on their lengths, never on where
/// they first differ.
///
/// Use it whenever one side is a secret or is derived from one (a stored password hash, a key
/// digest), so that an attacker timing many guesses learns nothing about how close a guess came.
/// Lengths are not secret here: every stored value of one kind has the same length.
///
/// - Returns: `true` when both hold the same bytes.
@inline(never)
func constantTimeEquals(_ lhs: UnsafeRawBufferPointer, _ rhs: UnsafeRawBufferPointer) -> Bool {
    let count = max(lhs.count, rhs.count)
    var difference: UInt8 = lhs.count == rhs.count ? 0 : 1
    for index in 0..<count {
        // Past the end of the shorter side, compare against zero: the loop still runs to the end.
        let left = index < lhs.count ? lhs[index] : 0
        let right = index < rhs.count ? rhs[index] : 0
        difference |= left ^ right
    }
    return difference == 0
}

/// Compares two byte arrays in constant time (see the buffer form above).
func constantTimeEquals(_ lhs: [UInt8], _ rhs: [UInt8]) -> Bool {
    lhs.withUnsafeBytes { left in
        rhs.withUnsafeBytes { right in constantTimeEquals(left, right) }
    }
}
