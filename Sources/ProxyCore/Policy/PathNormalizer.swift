/// Checks and normalises a request target's path once, before routing (RFC 3986 §6.2.2):
/// percent-encoded unreserved characters are decoded, hex digits of the other escapes
/// upper-cased, and `.`/`..` segments resolved. What scanners and path-confusion attacks send is
/// found on the way: a `..` that climbs above `/`, an encoded `/` or `\`, an encoded NUL, escapes
/// that are not valid UTF-8 (overlong forms, surrogates) or not escapes at all.
///
/// Pure. The usual path (no `%`, no `/.`) is one scan of its bytes and no allocation.
public enum PathNormalizer {
    public struct Result: Equatable {
        /// The normalised request target (query kept as sent), or `nil` when it is unchanged.
        public var target: String?
        /// The first check the path failed (a ``PolicyRefusal`` reason), or `nil`.
        public var violation: String?
    }

    public static func check(_ target: String, _ hygiene: RequestHygiene) -> Result {
        guard hygiene.checksAnything, target.utf8.first == UInt8(ascii: "/"), Self.needsWork(target) else { return Result() }
        let bytes = Array(target.utf8)
        let queryStart = bytes.firstIndex(of: UInt8(ascii: "?")) ?? bytes.count

        var violation: String?
        func flag(_ reason: String, _ on: Bool) {
            if on && violation == nil { violation = reason }
        }
        // Decode the escapes that can be decoded; keep the others (upper-cased).
        var path: [UInt8] = []
        path.reserveCapacity(queryStart)
        var utf8 = UTF8Check()
        var index = 0
        while index < queryStart {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "%") else {
                utf8.end(flag: flag, hygiene.overlongUTF8)
                path.append(byte)
                index += 1
                continue
            }
            guard index + 2 < queryStart,
                let high = Self.hexValue(bytes[index + 1]), let low = Self.hexValue(bytes[index + 2])
            else {
                flag("bad_percent_encoding", hygiene.overlongUTF8)
                path.append(byte)
                index += 1
                continue
            }
            let decoded = high << 4 | low
            index += 3
            if decoded >= 0x80 {
                utf8.feed(decoded, flag: flag, hygiene.overlongUTF8)
            } else {
                utf8.end(flag: flag, hygiene.overlongUTF8)
            }
            switch decoded {
            case 0: flag("encoded_nul", hygiene.nul)
            case UInt8(ascii: "/"), UInt8(ascii: "\\"): flag("encoded_slash", hygiene.encodedSlash)
            default: break
            }
            if hygiene.normalizePath && Self.isUnreserved(decoded) {
                path.append(decoded)
            } else {
                path.append(UInt8(ascii: "%"))
                path.append(Self.hexDigit(decoded >> 4))
                path.append(Self.hexDigit(decoded & 0xF))
            }
        }
        utf8.end(flag: flag, hygiene.overlongUTF8)

        // Resolve dot segments (RFC 3986 §5.2.4); `..` at the root climbs out.
        var segments: [ArraySlice<UInt8>] = []
        var climbs = false
        let parts = path.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false).dropFirst()
        let endsInDirectory = path.last == UInt8(ascii: "/") || parts.last.map { $0.elementsEqual([UInt8(ascii: ".")]) || $0.elementsEqual([0x2E, 0x2E]) } == true
        for part in parts {
            if part.elementsEqual([UInt8(ascii: ".")]) {
                continue
            } else if part.elementsEqual([0x2E, 0x2E]) {
                if segments.isEmpty { climbs = true } else { segments.removeLast() }
            } else {
                segments.append(part)
            }
        }
        flag("path_traversal", climbs && hygiene.traversal)
        if let violation, !hygiene.monitorOnly {
            return Result(target: nil, violation: violation)
        }
        guard hygiene.normalizePath, violation == nil else { return Result(target: nil, violation: violation) }
        var normalized: [UInt8] = [UInt8(ascii: "/")]
        for (position, segment) in segments.enumerated() {
            if position > 0 { normalized.append(UInt8(ascii: "/")) }
            normalized.append(contentsOf: segment)
        }
        if endsInDirectory && !segments.isEmpty && (segments.last?.isEmpty == false) {
            normalized.append(UInt8(ascii: "/"))
        }
        normalized.append(contentsOf: bytes[queryStart...])
        guard !normalized.elementsEqual(bytes) else { return Result() }
        return Result(target: String(decoding: normalized, as: UTF8.self), violation: nil)
    }

    /// Whether the path (before any `?`) has a `%` or a `/.`: one scan of the bytes in place.
    private static func needsWork(_ target: String) -> Bool {
        if target.utf8.count == 1 { return false }  // `/`
        var target = target
        return target.withUTF8 { bytes in
            var previous: UInt8 = 0
            for byte in bytes {
                if byte == UInt8(ascii: "?") { return false }
                if byte == UInt8(ascii: "%") || (byte == UInt8(ascii: ".") && previous == UInt8(ascii: "/")) { return true }
                previous = byte
            }
            return false
        }
    }

    /// RFC 3986 §2.3: ALPHA, DIGIT, `-`, `.`, `_`, `~`.
    private static func isUnreserved(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39)
            || byte == 0x2D || byte == 0x2E || byte == 0x5F || byte == 0x7E
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }

    private static func hexDigit(_ value: UInt8) -> UInt8 {
        value < 10 ? 0x30 + value : 0x41 + value - 10
    }

    /// Checks that the percent-decoded bytes ≥ 0x80 form well-formed UTF-8 (RFC 3629): no
    /// overlong form, no surrogate, nothing past U+10FFFF, no stray or missing continuation byte.
    private struct UTF8Check {
        private var needed = 0
        private var lower: UInt8 = 0x80
        private var upper: UInt8 = 0xBF

        mutating func feed(_ byte: UInt8, flag: (String, Bool) -> Void, _ on: Bool) {
            if self.needed > 0 {
                guard byte >= self.lower && byte <= self.upper else {
                    flag("invalid_utf8", on)
                    self.needed = 0
                    return
                }
                self.needed -= 1
                self.lower = 0x80
                self.upper = 0xBF
                return
            }
            switch byte {
            case 0xC2...0xDF: self.needed = 1
            case 0xE0: (self.needed, self.lower) = (2, 0xA0)
            case 0xE1...0xEC, 0xEE...0xEF: self.needed = 2
            case 0xED: (self.needed, self.upper) = (2, 0x9F)
            case 0xF0: (self.needed, self.lower) = (3, 0x90)
            case 0xF1...0xF3: self.needed = 3
            case 0xF4: (self.needed, self.upper) = (3, 0x8F)
            default: flag("invalid_utf8", on)  // C0, C1 (overlong), F5+, or a stray continuation byte
            }
        }

        /// A byte that is not an escaped one ≥ 0x80: a sequence left unfinished is invalid.
        mutating func end(flag: (String, Bool) -> Void, _ on: Bool) {
            if self.needed > 0 {
                flag("invalid_utf8", on)
                self.needed = 0
                self.lower = 0x80
                self.upper = 0xBF
            }
        }
    }
}
