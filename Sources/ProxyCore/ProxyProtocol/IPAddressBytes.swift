/// Converts IP addresses between their text and their network-order bytes, for the PROXY
/// protocol.
///
/// Parsing is strict, as PROXY protocol v1 asks: IPv4 is a dotted quad of four decimal numbers
/// 0...255 without leading zeros (`010` could be read as octal); IPv6 is any RFC 4291 text form
/// (upper- or lower-case hex, one `::`, an IPv4 tail as in `::ffff:192.0.2.1`) without brackets
/// or zone index, the forms `inet_pton` takes. Text is written in RFC 5952's canonical form.
enum IPAddressBytes {
    /// The 4 bytes of a dotted-quad IPv4 address, or `nil` when `text` is not one.
    static func ipv4(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(4)
        var index = text.startIndex
        while true {
            let start = index
            var value = 0
            while index < text.endIndex, let digit = Self.decimalDigit(text[index]) {
                value = value * 10 + digit
                index += 1
                guard index - start <= 3 else { return nil }
            }
            let digits = index - start
            guard digits > 0, value <= 255, digits == 1 || text[start] != UInt8(ascii: "0") else { return nil }
            bytes.append(UInt8(value))
            if bytes.count == 4 {
                return index == text.endIndex ? bytes : nil
            }
            guard index < text.endIndex, text[index] == UInt8(ascii: ".") else { return nil }
            index += 1
        }
    }

    /// The 16 bytes of an IPv6 address, or `nil` when `text` is not one.
    static func ipv6(_ text: ArraySlice<UInt8>) -> [UInt8]? {
        let colon = UInt8(ascii: ":")
        var groups: [UInt16] = []
        groups.reserveCapacity(8)
        /// Where `::` stands, as an index into `groups`.
        var gap: Int?
        var index = text.startIndex
        if text.count >= 2, text[index] == colon, text[index + 1] == colon {
            gap = 0
            index += 2
        }
        while index < text.endIndex {
            let start = index
            var value = 0
            while index < text.endIndex, let digit = Self.hexDigit(text[index]) {
                value = value &* 16 &+ digit
                index += 1
            }
            if index < text.endIndex, text[index] == UInt8(ascii: ".") {
                // An IPv4 tail: the last 32 bits, and the end of the text.
                guard groups.count <= 6, let ipv4 = Self.ipv4(text[start...]) else { return nil }
                groups.append(UInt16(ipv4[0]) << 8 | UInt16(ipv4[1]))
                groups.append(UInt16(ipv4[2]) << 8 | UInt16(ipv4[3]))
                index = text.endIndex
                break
            }
            guard (1...4).contains(index - start), groups.count < 8 else { return nil }
            groups.append(UInt16(value))
            guard index < text.endIndex else { break }
            guard text[index] == colon, index + 1 < text.endIndex else { return nil }
            index += 1
            if text[index] == colon {
                guard gap == nil else { return nil }
                gap = groups.count
                index += 1
            }
        }
        if let gap {
            // `::` stands for at least one group.
            guard groups.count <= 7 else { return nil }
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: gap)
        } else {
            guard groups.count == 8 else { return nil }
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        for group in groups {
            bytes.append(UInt8(group >> 8))
            bytes.append(UInt8(group & 0xff))
        }
        return bytes
    }

    /// The bytes of an IPv4 or IPv6 address written as text, or `nil` when `text` is neither.
    static func bytes(of text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)[...]
        return Self.ipv4(utf8) ?? Self.ipv6(utf8)
    }

    /// `a.b.c.d` for 4 bytes.
    static func ipv4Text(_ bytes: some Collection<UInt8>) -> String {
        bytes.map { String($0) }.joined(separator: ".")
    }

    /// RFC 5952 text for 16 bytes: lower-case hex without leading zeros, the longest run of two
    /// or more zero groups (the first of equal runs) as `::`, and an IPv4-mapped address
    /// (`::ffff:0:0/96`) with its IPv4 part dotted, as RFC 5952 §5 recommends.
    static func ipv6Text(_ bytes: some Collection<UInt8>) -> String {
        let bytes = Array(bytes)
        if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
            return "::ffff:" + Self.ipv4Text(bytes[12..<16])
        }
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var bestStart = -1
        var bestLength = 1
        var index = 0
        while index < 8 {
            guard groups[index] == 0 else {
                index += 1
                continue
            }
            var end = index
            while end < 8 && groups[end] == 0 { end += 1 }
            if end - index > bestLength {
                bestStart = index
                bestLength = end - index
            }
            index = end
        }
        func hex(_ slice: ArraySlice<UInt16>) -> String {
            slice.map { String($0, radix: 16) }.joined(separator: ":")
        }
        guard bestStart >= 0 else {
            return hex(groups[...])
        }
        return hex(groups[..<bestStart]) + "::" + hex(groups[(bestStart + bestLength)...])
    }

    private static func decimalDigit(_ byte: UInt8) -> Int? {
        let value = byte &- UInt8(ascii: "0")
        return value <= 9 ? Int(value) : nil
    }

    private static func hexDigit(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte - UInt8(ascii: "A") + 10)
        default: nil
        }
    }
}
