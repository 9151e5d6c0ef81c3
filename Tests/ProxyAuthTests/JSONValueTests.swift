import ProxyAuth
import Testing

struct JSONValueTests {
    private func parse(_ text: String, maximumDepth: Int = JSONValue.defaultMaximumDepth) throws(JSONParseError) -> JSONValue {
        try JSONValue(parsing: text.utf8, maximumDepth: maximumDepth)
    }

    private func failure(_ text: String) -> JSONParseError? {
        do {
            _ = try self.parse(text)
            return nil
        } catch {
            return error
        }
    }

    private func failure(bytes: [UInt8]) -> JSONParseError? {
        do {
            _ = try JSONValue(parsing: bytes)
            return nil
        } catch {
            return error
        }
    }

    @Test func parsesEveryKindOfValue() throws {
        let value = try self.parse(#" {"a": [1, -2.5e3, true, false, null, "x"], "b": {}, "c": [], "d": 0} "#)
        #expect(
            value
                == .object([
                    "a": .array([.number("1"), .number("-2.5e3"), .bool(true), .bool(false), .null, .string("x")]),
                    "b": .object([:]),
                    "c": .array([]),
                    "d": .number("0"),
                ])
        )
        #expect(value["a"]?.arrayValue?[1].numberValue == -2500)
        #expect(value["d"]?.numberValue == 0)
        #expect(value["missing"] == nil)
        #expect(try self.parse("\"top\"") == .string("top"))
        #expect(try self.parse("12") == .number("12"))
    }

    @Test func keepsNumbersAsWritten() throws {
        #expect(try self.parse("12345678901234567890123") == .number("12345678901234567890123"))
        #expect(try self.parse("1E+2").numberValue == 100)
        #expect(try self.parse("1e999").numberValue == nil)  // does not fit a finite Double
        #expect(try self.parse("-0.0") == .number("-0.0"))
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        let value = try self.parse(#""q\"b\\s\/b\bf\fn\nr\rt\tA\u0041e\u00e9g\ud83d\ude00z\u0000""#)
        #expect(value == .string("q\"b\\s/b\u{08}f\u{0C}n\nr\rt\tAAe\u{E9}g\u{1F600}z\u{0}"))
        #expect(try self.parse(#""h\u00E9llo ✓ 😀""#) == .string("h\u{E9}llo ✓ 😀"))
        #expect(try self.parse(#""plain é""#) == .string("plain é"))
    }

    @Test func refusesBrokenEscapesAndStrings() {
        #expect(self.failure(#""\ud83d""#)?.message == "high surrogate without a low surrogate")
        #expect(self.failure(#""\ud83dx""#)?.message == "high surrogate without a low surrogate")
        #expect(self.failure(#""\ud83d\u0041""#)?.message == "high surrogate without a low surrogate")
        #expect(self.failure(#""\ude00""#)?.message == "low surrogate without a high surrogate")
        #expect(self.failure(#""\u12""#)?.message == "\\u needs four hex digits")
        #expect(self.failure(#""\u12g4""#)?.message == "\\u needs four hex digits")
        #expect(self.failure(#""\x""#)?.message == "unknown escape")
        #expect(self.failure("\"tab\there\"")?.message == "control character in a string (escape it)")
        #expect(self.failure(#""open"#)?.message == "unterminated string")
        #expect(self.failure(#""open\"#)?.message == "unterminated string")
        #expect(self.failure("'single'")?.message == "unexpected character")
    }

    @Test func refusesInvalidUTF8() {
        #expect(self.failure(bytes: [0x22, 0xC0, 0x80, 0x22]) == JSONParseError(offset: 1, message: "invalid UTF-8"))  // overlong
        #expect(self.failure(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22])?.message == "invalid UTF-8")  // an encoded surrogate
        #expect(self.failure(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22])?.message == "invalid UTF-8")  // above U+10FFFF
        #expect(self.failure(bytes: [0x22, 0xE2, 0x9C, 0x22])?.message == "invalid UTF-8")  // truncated
        #expect(self.failure(bytes: [0x22, 0xFF, 0x22])?.message == "invalid UTF-8")
        #expect(self.failure(bytes: [0xEF, 0xBB, 0xBF, 0x31])?.message == "unexpected character")  // a byte-order mark
    }

    @Test func refusesWhatRFC8259DoesNotAllow() {
        for text in ["", " ", "[1,]", "{\"a\":1,}", "[1 2]", "{\"a\" 1}", "{a:1}", "{\"a\":}", "01", "-", "1.", "1.e3", "1e",
                     "1e+", ".5", "+1", "NaN", "Infinity", "tru", "nul", "[1] // c", "/* c */ 1", "{} x", "[", "{", "[1", "{\"a\":1"]
        {
            #expect(self.failure(text) != nil, "accepted \(text.debugDescription)")
        }
        #expect(self.failure("{\"a\" 1}") == JSONParseError(offset: 5, message: "expected ':' after a member name"))
        #expect(self.failure("01") == JSONParseError(offset: 1, message: "leading zero in a number"))
        #expect(self.failure("[1] x") == JSONParseError(offset: 4, message: "unexpected text after the value"))
    }

    @Test func refusesDuplicateMemberNames() {
        #expect(self.failure(#"{"alg":"ES256","alg":"none"}"#) == JSONParseError(offset: 15, message: "duplicate member name \"alg\""))
        // The same name spelled with an escape is the same name.
        #expect(self.failure(#"{"alg":"ES256","\u0061lg":"none"}"#)?.message == "duplicate member name \"alg\"")
    }

    @Test func boundsNesting() throws {
        let deepest = String(repeating: "[", count: 32) + String(repeating: "]", count: 32)
        #expect(try self.parse(deepest) != .null)
        let tooDeep = String(repeating: "[", count: 33) + String(repeating: "]", count: 33)
        #expect(self.failure(tooDeep)?.message == "nested deeper than 32 levels")
        let objects = String(repeating: "{\"a\":", count: 3) + "1" + String(repeating: "}", count: 3)
        #expect(throws: JSONParseError.self) { try self.parse(objects, maximumDepth: 2) }
        #expect(try self.parse(objects, maximumDepth: 3)["a"]?["a"]?["a"] == .number("1"))
        // Far past any stack limit: refused, not a crash.
        let hostile = String(repeating: "[", count: 100_000)
        #expect(self.failure(hostile)?.message == "nested deeper than 32 levels")
    }

    @Test func locatesErrorsByLineAndColumn() {
        let text = "{\n  \"keys\": [\n    1,,\n  ]\n}"
        let position = self.failure(text)?.lineAndColumn(in: text.utf8)
        #expect(position?.line == 3)
        #expect(position?.column == 7)
    }
}
