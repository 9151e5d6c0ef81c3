/// A strict recursive-descent JSON parser over a byte buffer. See ``JSONValue/init(parsing:maximumDepth:)``.
///
/// Written here rather than taken from Foundation: it is small, refuses everything RFC 8259 does
/// not allow (plus duplicate member names), bounds nesting, and runs on the request path without
/// bridging or allocation beyond the values it returns.
struct JSONParser {
    private let bytes: UnsafeBufferPointer<UInt8>
    private let maximumDepth: Int
    private var index = 0

    private init(bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int) {
        self.bytes = bytes
        self.maximumDepth = maximumDepth
    }

    /// Parses `bytes` as one JSON document.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>, maximumDepth: Int) throws(JSONParseError) -> JSONValue {
        if let invalid = UTF8Validation.firstInvalidOffset(in: bytes) {
            throw JSONParseError(offset: invalid, message: "invalid UTF-8")
        }
        var parser = JSONParser(bytes: bytes, maximumDepth: maximumDepth)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else {
            throw parser.error("unexpected text after the value")
        }
        return value
    }

    private var current: UInt8? {
        self.index < self.bytes.count ? self.bytes[self.index] : nil
    }

    private func error(_ message: String) -> JSONParseError {
        JSONParseError(offset: self.index, message: message)
    }

    private mutating func skipWhitespace() {
        while let byte = self.current,
            byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\n") || byte == UInt8(ascii: "\r")
                || byte == UInt8(ascii: "\t")
        {
            self.index += 1
        }
    }

    private mutating func parseValue(depth: Int) throws(JSONParseError) -> JSONValue {
        guard let byte = self.current else { throw self.error("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"):
            return try self.parseObject(depth: depth + 1)
        case UInt8(ascii: "["):
            return try self.parseArray(depth: depth + 1)
        case UInt8(ascii: "\""):
            return .string(try self.parseString())
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return .number(try self.parseNumber())
        case UInt8(ascii: "t"):
            try self.expectLiteral("true")
            return .bool(true)
        case UInt8(ascii: "f"):
            try self.expectLiteral("false")
            return .bool(false)
        case UInt8(ascii: "n"):
            try self.expectLiteral("null")
            return .null
        default:
            throw self.error("unexpected character")
        }
    }

    private mutating func expectLiteral(_ literal: StaticString) throws(JSONParseError) {
        let count = literal.utf8CodeUnitCount
        guard self.bytes.count - self.index >= count,
            UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(self.bytes)[self.index..<self.index + count])
                .elementsEqual(UnsafeRawBufferPointer(start: literal.utf8Start, count: count))
        else {
            throw self.error("unexpected character")
        }
        self.index += count
    }

    private mutating func parseObject(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= self.maximumDepth else { throw self.error("nested deeper than \(self.maximumDepth) levels") }
        self.index += 1  // {
        var members: [String: JSONValue] = [:]
        self.skipWhitespace()
        if self.current == UInt8(ascii: "}") {
            self.index += 1
            return .object(members)
        }
        while true {
            self.skipWhitespace()
            guard self.current == UInt8(ascii: "\"") else { throw self.error("expected a member name in quotes") }
            let nameOffset = self.index
            let name = try self.parseString()
            self.skipWhitespace()
            guard self.current == UInt8(ascii: ":") else { throw self.error("expected ':' after a member name") }
            self.index += 1
            self.skipWhitespace()
            let value = try self.parseValue(depth: depth)
            guard members.updateValue(value, forKey: name) == nil else {
                throw JSONParseError(offset: nameOffset, message: "duplicate member name \"\(name)\"")
            }
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","):
                self.index += 1
            case UInt8(ascii: "}"):
                self.index += 1
                return .object(members)
            default:
                throw self.error("expected ',' or '}' in an object")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(JSONParseError) -> JSONValue {
        guard depth <= self.maximumDepth else { throw self.error("nested deeper than \(self.maximumDepth) levels") }
        self.index += 1  // [
        var elements: [JSONValue] = []
        self.skipWhitespace()
        if self.current == UInt8(ascii: "]") {
            self.index += 1
            return .array(elements)
        }
        while true {
            self.skipWhitespace()
            elements.append(try self.parseValue(depth: depth))
            self.skipWhitespace()
            switch self.current {
            case UInt8(ascii: ","):
                self.index += 1
            case UInt8(ascii: "]"):
                self.index += 1
                return .array(elements)
            default:
                throw self.error("expected ',' or ']' in an array")
            }
        }
    }

    /// Parses a string starting at its opening quote. The input is already known to be valid
    /// UTF-8, and quotes and backslashes are ASCII, so raw runs between escapes are valid UTF-8.
    private mutating func parseString() throws(JSONParseError) -> String {
        self.index += 1  // "
        let start = self.index
        while let byte = self.current {
            switch byte {
            case UInt8(ascii: "\""):
                let text = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
                self.index += 1
                return text
            case UInt8(ascii: "\\"):
                return try self.parseEscapedString(prefix: self.bytes[start..<self.index])
            case 0..<0x20:
                throw self.error("control character in a string (escape it)")
            default:
                self.index += 1
            }
        }
        throw self.error("unterminated string")
    }

    /// The rest of a string once the first backslash is reached.
    private mutating func parseEscapedString(prefix: Slice<UnsafeBufferPointer<UInt8>>) throws(JSONParseError)
        -> String
    {
        var utf8 = Array(prefix)
        while let byte = self.current {
            switch byte {
            case UInt8(ascii: "\""):
                self.index += 1
                return String(decoding: utf8, as: UTF8.self)
            case UInt8(ascii: "\\"):
                self.index += 1
                try self.appendEscape(to: &utf8)
            case 0..<0x20:
                throw self.error("control character in a string (escape it)")
            default:
                utf8.append(byte)
                self.index += 1
            }
        }
        throw self.error("unterminated string")
    }

    /// Decodes the escape after a backslash and appends its UTF-8.
    private mutating func appendEscape(to utf8: inout [UInt8]) throws(JSONParseError) {
        guard let byte = self.current else { throw self.error("unterminated string") }
        self.index += 1
        switch byte {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): utf8.append(byte)
        case UInt8(ascii: "b"): utf8.append(0x08)
        case UInt8(ascii: "f"): utf8.append(0x0C)
        case UInt8(ascii: "n"): utf8.append(0x0A)
        case UInt8(ascii: "r"): utf8.append(0x0D)
        case UInt8(ascii: "t"): utf8.append(0x09)
        case UInt8(ascii: "u"):
            let scalar = try self.parseUnicodeEscape()
            UTF8.encode(scalar) { utf8.append($0) }
        default:
            self.index -= 1
            throw self.error("unknown escape")
        }
    }

    /// Decodes `XXXX` after `\u`, and the low half that must follow a high surrogate.
    private mutating func parseUnicodeEscape() throws(JSONParseError) -> Unicode.Scalar {
        let first = try self.parseHexQuad()
        switch first {
        case 0xD800...0xDBFF:
            guard self.current == UInt8(ascii: "\\"),
                self.index + 1 < self.bytes.count,
                self.bytes[self.index + 1] == UInt8(ascii: "u")
            else {
                throw self.error("high surrogate without a low surrogate")
            }
            self.index += 2
            let second = try self.parseHexQuad()
            guard (0xDC00...0xDFFF).contains(second) else {
                throw self.error("high surrogate without a low surrogate")
            }
            let value = 0x10000 + ((first - 0xD800) << 10) + (second - 0xDC00)
            return Unicode.Scalar(value)!  // 0x10000...0x10FFFF: always a scalar
        case 0xDC00...0xDFFF:
            throw self.error("low surrogate without a high surrogate")
        default:
            return Unicode.Scalar(first)!  // not a surrogate: always a scalar
        }
    }

    private mutating func parseHexQuad() throws(JSONParseError) -> UInt32 {
        guard self.bytes.count - self.index >= 4 else { throw self.error("\\u needs four hex digits") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let digit: UInt32
            switch self.bytes[self.index] {
            case let byte where byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"):
                digit = UInt32(byte - UInt8(ascii: "0"))
            case let byte where byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "f"):
                digit = UInt32(byte - UInt8(ascii: "a") + 10)
            case let byte where byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "F"):
                digit = UInt32(byte - UInt8(ascii: "A") + 10)
            default:
                throw self.error("\\u needs four hex digits")
            }
            value = value << 4 | digit
            self.index += 1
        }
        return value
    }

    /// Parses a number and returns its text. Grammar: `-? (0 | [1-9][0-9]*) (.[0-9]+)? ([eE][+-]?[0-9]+)?`.
    private mutating func parseNumber() throws(JSONParseError) -> String {
        let start = self.index
        if self.current == UInt8(ascii: "-") {
            self.index += 1
        }
        switch self.current ?? 0 {
        case UInt8(ascii: "0"):
            self.index += 1
            if self.isDigit(self.current) { throw self.error("leading zero in a number") }
        case UInt8(ascii: "1")...UInt8(ascii: "9"):
            self.skipDigits()
        default:
            throw self.error("expected a digit")
        }
        if self.current == UInt8(ascii: ".") {
            self.index += 1
            guard self.isDigit(self.current) else { throw self.error("expected a digit after '.'") }
            self.skipDigits()
        }
        if self.current == UInt8(ascii: "e") || self.current == UInt8(ascii: "E") {
            self.index += 1
            if self.current == UInt8(ascii: "+") || self.current == UInt8(ascii: "-") {
                self.index += 1
            }
            guard self.isDigit(self.current) else { throw self.error("expected a digit in the exponent") }
            self.skipDigits()
        }
        return String(decoding: self.bytes[start..<self.index], as: UTF8.self)
    }

    private func isDigit(_ byte: UInt8?) -> Bool {
        guard let byte else { return false }
        return byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    private mutating func skipDigits() {
        while self.isDigit(self.current) {
            self.index += 1
        }
    }
}
