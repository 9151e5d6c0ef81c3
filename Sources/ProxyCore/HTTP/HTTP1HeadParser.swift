import NIOHTTP1

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// Parses a complete HTTP/1 head (RFC 9112 §2-§5) in one pass over its bytes.
///
/// The bytes are the whole head, from the start line to the empty line that ends it, and every
/// LF in them follows a CR (``HTTP1Parser`` found the end and checked that); so each loop below
/// stops at the latest on the final CR, and a CR is never the last byte. Strict where HTTP/1
/// parsers have been exploited: one space between the parts of the start line, no whitespace
/// before a field's colon, no line folding, no control characters but tab in a value, bare CR
/// refused, `Content-Length` values all the same digits, and in a request only one of them.
enum HTTP1HeadParser {
    /// What the parser knows before it starts: the same connection's previous fields, whose
    /// strings are reused where the bytes are the same (a keep-alive connection repeats most
    /// of its fields: one comparison instead of a validated copy into a new string), and how
    /// many lines the head has (the fields' array is made that large at once); and whether to
    /// make the fields at all (a head whose lines are kept may be read from them, and only
    /// when needed: ``RawFieldLines/headers(of:)``).
    struct Hints {
        var previous: [(String, String)] = []
        var lines = 8
        var buildsFields = true
    }

    private static let cr = UInt8(ascii: "\r")
    private static let lf = UInt8(ascii: "\n")
    private static let sp = UInt8(ascii: " ")
    private static let tab = UInt8(ascii: "\t")

    static func parseRequest(_ p: UnsafeRawBufferPointer, maxFields: Int, hints: Hints) throws -> HTTP1Head {
        try HTTPByteClass.table.withUnsafeBufferPointer { table in
            var i = 0
            // method SP: upper case letters, `-` and `_` (what nginx takes: a token, and
            // methods are case-sensitive, so `get` is no GET).
            while Self.isMethodByte(p[i]) { i += 1 }
            guard i > 0, p[i] == Self.sp else { throw HTTP1ParseError.malformed("invalid method") }
            let method = Self.method(UnsafeRawBufferPointer(rebasing: p[0..<i]))
            i += 1
            let targetStart = i
            while table[Int(p[i])] & HTTPByteClass.target != 0 { i += 1 }
            guard i > targetStart, p[i] == Self.sp else { throw HTTP1ParseError.malformed("invalid request target") }
            let uri = String(decoding: UnsafeRawBufferPointer(rebasing: p[targetStart..<i]), as: UTF8.self)
            i += 1
            let version = try Self.version(p, at: &i)
            guard p[i] == Self.cr, p[i + 1] == Self.lf else { throw HTTP1ParseError.malformed("invalid request line") }
            i += 2
            var head = HTTP1Head(version: version, method: method, uri: uri)
            head.fieldsStart = i
            try Self.parseFields(p, from: i, table: table, maxFields: maxFields, hints: hints, into: &head)
            // A repeated length, even the same one, is refused in a request (as nginx and
            // HAProxy do): RFC 9110 §8.6 lets a recipient read it as one length, but the lines
            // go to the target as received, and a parser behind us may read them otherwise.
            guard head.contentLengthCount <= 1 else { throw HTTP1ParseError.malformed("repeated Content-Length") }
            return head
        }
    }

    static func parseResponse(_ p: UnsafeRawBufferPointer, maxFields: Int, hints: Hints) throws -> HTTP1Head {
        try HTTPByteClass.table.withUnsafeBufferPointer { table in
            var i = 0
            let version = try Self.version(p, at: &i)
            guard p.count - i >= 6, p[i] == Self.sp else { throw HTTP1ParseError.malformed("invalid status line") }
            var status = 0
            for offset in 1...3 {
                let digit = p[i + offset] &- UInt8(ascii: "0")
                guard digit <= 9 else { throw HTTP1ParseError.malformed("invalid status code") }
                status = status * 10 + Int(digit)
            }
            i += 4
            guard status >= 100 else { throw HTTP1ParseError.malformed("invalid status code") }
            // [SP reason-phrase] CRLF; the phrase is not kept (the status code says it all).
            if p[i] == Self.sp {
                i += 1
                while table[Int(p[i])] & HTTPByteClass.fieldValue != 0 { i += 1 }
            }
            guard p[i] == Self.cr, p[i + 1] == Self.lf else { throw HTTP1ParseError.malformed("invalid status line") }
            i += 2
            var head = HTTP1Head(version: version, status: status)
            head.fieldsStart = i
            try Self.parseFields(p, from: i, table: table, maxFields: maxFields, hints: hints, into: &head)
            return head
        }
    }

    /// Parses field lines from `start` to the empty line (a trailer section, or a head's fields).
    static func parseFields(_ p: UnsafeRawBufferPointer, from start: Int, maxFields: Int, hints: Hints, into head: inout HTTP1Head) throws {
        try HTTPByteClass.table.withUnsafeBufferPointer { table in
            try Self.parseFields(p, from: start, table: table, maxFields: maxFields, hints: hints, into: &head)
        }
    }

    private static func parseFields(
        _ p: UnsafeRawBufferPointer,
        from start: Int,
        table: UnsafeBufferPointer<UInt8>,
        maxFields: Int,
        hints: Hints,
        into head: inout HTTP1Head
    ) throws {
        var i = start
        if hints.buildsFields {
            head.fields.reserveCapacity(min(max(hints.lines - 1, hints.previous.count), maxFields))
        }
        var index = 0
        while p[i] != Self.cr {
            let nameStart = i
            while table[Int(p[i])] & HTTPByteClass.token != 0 { i += 1 }
            guard i > nameStart, p[i] == UInt8(ascii: ":") else {
                let folded = i == nameStart && (p[i] == Self.sp || p[i] == Self.tab)
                throw HTTP1ParseError.malformed(folded ? "obsolete line folding" : "invalid header name")
            }
            let name = UnsafeRawBufferPointer(rebasing: p[nameStart..<i])
            i += 1
            while p[i] == Self.sp || p[i] == Self.tab { i += 1 }
            let valueStart = i
            // The line ends at the next CR (there is one: the head ends with CRLF CRLF); what
            // comes before it must be a field value.
            let cr = UnsafeRawPointer(memchr(p.baseAddress! + i, Int32(Self.cr), p.count - i)!) - p.baseAddress!
            guard p[cr + 1] == Self.lf, Self.isFieldValue(p, from: valueStart, to: cr) else {
                throw HTTP1ParseError.malformed("control character in header value")
            }
            var valueEnd = cr
            while valueEnd > valueStart && (p[valueEnd - 1] == Self.sp || p[valueEnd - 1] == Self.tab) { valueEnd -= 1 }
            i = cr + 2
            guard index < maxFields else { throw HTTP1ParseError.tooLarge }
            let value = UnsafeRawBufferPointer(rebasing: p[valueStart..<valueEnd])
            var valueString: String?
            defer { index += 1 }
            if index < 64 && FieldHints.mayBeSpecial(length: name.count, first: name[0]) {
                head.specialFields.special |= 1 << UInt64(index)
            }
            // Only the fields that frame, route or keep a message are looked at: by length and
            // first letter before any comparison.
            switch name.count {
            case 4 where HeaderName.folded(name[0]) == UInt8(ascii: "h") && HeaderName.matches(name, "host"):
                head.hostCount += 1
            case 6 where HeaderName.folded(name[0]) == UInt8(ascii: "e") && HeaderName.matches(name, "expect"):
                if HeaderName.matches(value, "100-continue") {
                    head.expectsContinue = true
                } else if head.unsupportedExpect == nil {
                    valueString = String(decoding: value, as: UTF8.self)
                    head.unsupportedExpect = valueString
                }
            case 10 where HeaderName.folded(name[0]) == UInt8(ascii: "c") && HeaderName.matches(name, "connection"):
                head.connectionTokens.add(value)
            case 14 where HeaderName.folded(name[0]) == UInt8(ascii: "c") && HeaderName.matches(name, "content-length"):
                try Self.noteContentLength(value, in: &head)
            case 17 where HeaderName.folded(name[0]) == UInt8(ascii: "t") && HeaderName.matches(name, "transfer-encoding"):
                Self.noteTransferEncoding(value, in: &head)
            default:
                break
            }
            if !hints.buildsFields {
                continue
            }
            if index < hints.previous.count {
                let previous = hints.previous[index]
                let nameString = Self.same(name, previous.0) ? previous.0 : String(decoding: name, as: UTF8.self)
                let valueString = valueString ?? (Self.same(value, previous.1) ? previous.1 : String(decoding: value, as: UTF8.self))
                head.fields.append((nameString, valueString))
            } else {
                head.fields.append((String(decoding: name, as: UTF8.self), valueString ?? String(decoding: value, as: UTF8.self)))
            }
        }
        guard p[i + 1] == Self.lf, i + 2 == p.count else { throw HTTP1ParseError.malformed("invalid end of head") }
    }

    /// Whether `p[start..<end]` is a field value: no control character but tab, no DEL (bytes
    /// above ASCII are obs-text, allowed). Eight bytes at a time: a word with no byte below
    /// 0x20 and none equal to 0x7F is valid as a whole (the usual case); any other word is
    /// checked byte by byte.
    @inline(__always)
    static func isFieldValue(_ p: UnsafeRawBufferPointer, from start: Int, to end: Int) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        var index = start
        while index + 8 <= end {
            let word = p.loadUnaligned(fromByteOffset: index, as: UInt64.self)
            let below20 = (word &- 0x20 &* ones) & ~word & highs
            let del = word ^ (0x7F &* ones)
            let isDEL = (del &- ones) & ~del & highs
            if below20 | isDEL != 0 {
                for offset in 0..<8 where !Self.isFieldValueByte(p[index + offset]) {
                    return false
                }
            }
            index += 8
        }
        while index < end {
            guard Self.isFieldValueByte(p[index]) else { return false }
            index += 1
        }
        return true
    }

    @inline(__always)
    private static func isFieldValueByte(_ byte: UInt8) -> Bool {
        byte == Self.tab || (byte >= 0x20 && byte != 0x7F)
    }

    /// `HTTP/1.0` or `HTTP/1.1`; other versions are not served.
    private static func version(_ p: UnsafeRawBufferPointer, at i: inout Int) throws -> HTTPVersion {
        guard p.count - i >= 10,
            p[i] == UInt8(ascii: "H"), p[i + 1] == UInt8(ascii: "T"), p[i + 2] == UInt8(ascii: "T"),
            p[i + 3] == UInt8(ascii: "P"), p[i + 4] == UInt8(ascii: "/"), p[i + 5] == UInt8(ascii: "1"),
            p[i + 6] == UInt8(ascii: "."), p[i + 7] == UInt8(ascii: "0") || p[i + 7] == UInt8(ascii: "1")
        else {
            throw HTTP1ParseError.malformed("unsupported HTTP version")
        }
        let minor = p[i + 7] == UInt8(ascii: "1")
        i += 8
        return minor ? .http1_1 : .http1_0
    }

    @inline(__always)
    private static func isMethodByte(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z")) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }

    /// The common methods without making a string; the rest by NIO's own mapping.
    private static func method(_ bytes: UnsafeRawBufferPointer) -> HTTPMethod {
        switch bytes.count {
        case 3:
            if Self.same(bytes, "GET") { return .GET }
            if Self.same(bytes, "PUT") { return .PUT }
        case 4:
            if Self.same(bytes, "POST") { return .POST }
            if Self.same(bytes, "HEAD") { return .HEAD }
        case 6:
            if Self.same(bytes, "DELETE") { return .DELETE }
        default:
            break
        }
        return HTTPMethod(rawValue: String(decoding: bytes, as: UTF8.self))
    }

    /// Whether `bytes` are exactly `text`'s.
    @inline(__always)
    private static func same(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        bytes.count == text.utf8CodeUnitCount && memcmpEqual(bytes, text)
    }

    @inline(__always)
    private static func memcmpEqual(_ bytes: UnsafeRawBufferPointer, _ text: StaticString) -> Bool {
        let expected = UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount)
        for index in 0..<expected.count where bytes[index] != expected[index] {
            return false
        }
        return true
    }

    /// Whether `bytes` are `string`'s UTF-8, exactly.
    @inline(__always)
    private static func same(_ bytes: UnsafeRawBufferPointer, _ string: String) -> Bool {
        guard string.utf8.count == bytes.count else { return false }
        return string.utf8.withContiguousStorageIfAvailable { utf8 in
            bytes.count == 0 || memcmp(utf8.baseAddress!, bytes.baseAddress!, bytes.count) == 0
        } ?? false
    }

    /// `Content-Length: 1*DIGIT`, or a list of the same value (RFC 9110 §8.6); every field and
    /// every list member must agree. Counts the values (``HTTP1Head/contentLengthCount``).
    private static func noteContentLength(_ value: UnsafeRawBufferPointer, in head: inout HTTP1Head) throws {
        var index = 0
        repeat {
            while index < value.count && (value[index] == Self.sp || value[index] == Self.tab) { index += 1 }
            var length = 0
            var digits = 0
            while index < value.count, case let digit = value[index] &- UInt8(ascii: "0"), digit <= 9 {
                guard digits < 18 else { throw HTTP1ParseError.malformed("invalid Content-Length") }
                length = length * 10 + Int(digit)
                digits += 1
                index += 1
            }
            while index < value.count && (value[index] == Self.sp || value[index] == Self.tab) { index += 1 }
            guard digits > 0 else { throw HTTP1ParseError.malformed("invalid Content-Length") }
            guard index == value.count || value[index] == UInt8(ascii: ",") else {
                throw HTTP1ParseError.malformed("invalid Content-Length")
            }
            if let earlier = head.contentLength, earlier != length {
                throw HTTP1ParseError.malformed("conflicting Content-Length values")
            }
            head.contentLength = length
            head.contentLengthCount += 1
            index += 1
        } while index <= value.count
    }

    /// Notes whether `chunked` is the final coding, over all `Transfer-Encoding` fields in order.
    private static func noteTransferEncoding(_ value: UnsafeRawBufferPointer, in head: inout HTTP1Head) {
        var index = 0
        var sawCoding = false
        while index < value.count {
            while index < value.count && (value[index] == Self.sp || value[index] == Self.tab || value[index] == UInt8(ascii: ",")) {
                index += 1
            }
            let start = index
            while index < value.count && value[index] != UInt8(ascii: ",") { index += 1 }
            var end = index
            while end > start && (value[end - 1] == Self.sp || value[end - 1] == Self.tab) { end -= 1 }
            guard end > start else { continue }
            sawCoding = true
            let coding = UnsafeRawBufferPointer(rebasing: value[start..<end])
            let chunked = HeaderName.matches(coding, "chunked")
            switch head.transferCoding {
            case .absent, .other: head.transferCoding = chunked ? .chunked : .other
            case .chunked, .invalid: head.transferCoding = .invalid  // a coding after chunked, or chunked twice
            }
        }
        if !sawCoding && head.transferCoding == .absent {
            head.transferCoding = .other  // present but empty: not chunked
        }
    }
}
