/// An IPv4 or IPv6 address, parsed in pure Swift.
///
/// Accepts dotted-quad IPv4 (`192.0.2.1`, no leading zeros) and IPv6 in any RFC 4291 text form
/// (`2001:db8::1`, `::`, `::ffff:192.0.2.1`), without brackets or zone index.
struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// 4 bytes for IPv4, 16 for IPv6, in network order.
    let bytes: [UInt8]

    var isIPv6: Bool { self.bytes.count == 16 }

    init(bytes: [UInt8]) {
        precondition(bytes.count == 4 || bytes.count == 16, "an IP address has 4 or 16 bytes")
        self.bytes = bytes
    }

    init?(_ text: some StringProtocol) {
        if let bytes = Self.parseIPv4(text) ?? Self.parseIPv6(text) {
            self.bytes = bytes
        } else {
            return nil
        }
    }

    /// For an IPv4-mapped IPv6 address (`::ffff:a.b.c.d`), the IPv4 address; otherwise `nil`.
    var unmappedIPv4: IPAddress? {
        guard self.isIPv6, self.bytes[0..<10].allSatisfy({ $0 == 0 }), self.bytes[10] == 0xff, self.bytes[11] == 0xff
        else {
            return nil
        }
        return IPAddress(bytes: Array(self.bytes[12..<16]))
    }

    var description: String {
        guard self.isIPv6 else {
            return self.bytes.map(String.init).joined(separator: ".")
        }
        if let ipv4 = self.unmappedIPv4 {
            return "::ffff:\(ipv4)"
        }
        let groups = (0..<8).map { UInt16(self.bytes[2 * $0]) << 8 | UInt16(self.bytes[2 * $0 + 1]) }
        // RFC 5952: compress the longest run of two or more zero groups, the first one on a tie.
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

    private static func parseIPv4(_ text: some StringProtocol) -> [UInt8]? {
        let parts = Substring(text).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var bytes: [UInt8] = []
        for part in parts {
            guard (1...3).contains(part.count),
                part.allSatisfy({ $0.isASCII && $0.isNumber }),
                part.count == 1 || part.first != "0",
                let value = UInt8(part)
            else { return nil }
            bytes.append(value)
        }
        return bytes
    }

    private static func parseIPv6(_ text: some StringProtocol) -> [UInt8]? {
        guard text.contains(":") else { return nil }
        let halves = Substring(text).split(separator: "::", maxSplits: 1, omittingEmptySubsequences: false)
        guard halves.count <= 2, !(halves.count == 2 && halves[1].contains("::")) else { return nil }

        func groups(_ part: Substring, allowIPv4Tail: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            var result: [UInt16] = []
            for (index, piece) in pieces.enumerated() {
                if allowIPv4Tail, index == pieces.count - 1, piece.contains("."), let ipv4 = parseIPv4(piece) {
                    result.append(UInt16(ipv4[0]) << 8 | UInt16(ipv4[1]))
                    result.append(UInt16(ipv4[2]) << 8 | UInt16(ipv4[3]))
                    continue
                }
                guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit),
                    let value = UInt16(piece, radix: 16)
                else {
                    return nil
                }
                result.append(value)
            }
            return result
        }

        let allGroups: [UInt16]
        if halves.count == 2 {
            guard let head = groups(halves[0], allowIPv4Tail: false),
                let tail = groups(halves[1], allowIPv4Tail: true),
                head.count + tail.count <= 7
            else { return nil }
            allGroups = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        } else {
            guard let all = groups(halves[0], allowIPv4Tail: true), all.count == 8 else { return nil }
            allGroups = all
        }
        return allGroups.flatMap { [UInt8($0 >> 8), UInt8($0 & 0xff)] }
    }
}
