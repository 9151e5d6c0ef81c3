import NIOCore
import Testing

@testable import ProxyServer

/// RESP2 parsing (every type, every split of the bytes, malformed and oversized input) and the
/// encoding of commands.
struct RedisRESPParserTests {
    /// One of each type, with the bytes Redis sends for it.
    private static let samples: [(bytes: String, value: RESPValue)] = [
        ("+OK\r\n", .simpleString("OK")),
        ("+\r\n", .simpleString("")),
        ("-ERR unknown command 'FOO'\r\n", .error("ERR unknown command 'FOO'")),
        ("-NOSCRIPT No matching script.\r\n", .error("NOSCRIPT No matching script.")),
        (":0\r\n", .integer(0)),
        (":42\r\n", .integer(42)),
        (":-7\r\n", .integer(-7)),
        (":9223372036854775807\r\n", .integer(.max)),
        (":-9223372036854775808\r\n", .integer(.min)),
        ("$3\r\nfoo\r\n", .bulkString(ByteBuffer(string: "foo"))),
        ("$0\r\n\r\n", .bulkString(ByteBuffer())),
        ("$6\r\na\r\nb\r\n\r\n", .bulkString(ByteBuffer(string: "a\r\nb\r\n"))),  // binary-safe
        ("$-1\r\n", .bulkString(nil)),
        ("*0\r\n", .array([])),
        ("*-1\r\n", .array(nil)),
        (
            "*3\r\n:1\r\n$2\r\nhi\r\n+OK\r\n",
            .array([.integer(1), .bulkString(ByteBuffer(string: "hi")), .simpleString("OK")])
        ),
        (
            "*2\r\n*2\r\n:1\r\n*0\r\n*-1\r\n",
            .array([.array([.integer(1), .array([])]), .array(nil)])
        ),
        (
            "*4\r\n:1\r\n:0\r\n:1500000\r\n$-1\r\n",
            .array([.integer(1), .integer(0), .integer(1_500_000), .bulkString(nil)])
        ),
    ]

    /// Parses every value `buffer` holds, leaving an incomplete one in it.
    private static func parseAll(_ parser: inout RESPParser, _ buffer: inout ByteBuffer) throws -> [RESPValue] {
        var values: [RESPValue] = []
        while case .value(let value) = try parser.parse(&buffer) {
            values.append(value)
        }
        return values
    }

    @Test func everyTypeParses() throws {
        for sample in Self.samples {
            var parser = RESPParser()
            var buffer = ByteBuffer(string: sample.bytes)
            #expect(try parser.parse(&buffer) == .value(sample.value), "\(sample.bytes.debugDescription)")
            #expect(buffer.readableBytes == 0)
            #expect(try parser.parse(&buffer) == .needMoreBytes)
        }
    }

    /// The whole stream, cut in two at every byte: the first part gives what it completes and
    /// keeps the rest, and the second part gives all the others, in order.
    @Test func splitAtEveryByte() throws {
        let stream = Self.samples.map(\.bytes).joined()
        let bytes = Array(stream.utf8)
        let expected = Self.samples.map(\.value)
        for cut in 0...bytes.count {
            var parser = RESPParser()
            var buffer = ByteBuffer(bytes: bytes[..<cut])
            var values = try Self.parseAll(&parser, &buffer)
            buffer.writeBytes(bytes[cut...])
            values += try Self.parseAll(&parser, &buffer)
            #expect(values == expected, "cut at \(cut)")
            #expect(buffer.readableBytes == 0)
        }
    }

    @Test func oneByteAtATime() throws {
        var parser = RESPParser()
        var buffer = ByteBuffer()
        var values: [RESPValue] = []
        for byte in Self.samples.map(\.bytes).joined().utf8 {
            buffer.writeInteger(byte)
            values += try Self.parseAll(&parser, &buffer)
        }
        #expect(values == Self.samples.map(\.value))
    }

    /// An incomplete element stays in the buffer; complete elements of an unfinished array are
    /// consumed (and kept by the parser).
    @Test func incompleteInputIsKeptOrHeld() throws {
        var parser = RESPParser()
        var buffer = ByteBuffer(string: "+PON")
        #expect(try parser.parse(&buffer) == .needMoreBytes)
        #expect(buffer.readableBytes == 4)
        buffer = ByteBuffer(string: "*2\r\n:1\r\n$5\r\nab")
        var arrayParser = RESPParser()
        #expect(try arrayParser.parse(&buffer) == .needMoreBytes)
        #expect(String(buffer: buffer) == "$5\r\nab")
        buffer.writeString("cde\r\n")
        let complete = RESPValue.array([.integer(1), .bulkString(ByteBuffer(string: "abcde"))])
        #expect(try arrayParser.parse(&buffer) == .value(complete))
    }

    @Test func malformedInputIsRefused() {
        let cases: [(String, RESPProtocolError)] = [
            ("?x\r\n", .unknownType(UInt8(ascii: "?"))),
            ("\r\n", .unknownType(UInt8(ascii: "\r"))),
            ("+OK\rX", .malformedLine),
            ("+O\nK\r\n", .malformedLine),
            ("-E\nR\r\n", .malformedLine),
            (":12a\r\n", .invalidInteger),
            (":\r\n", .invalidInteger),
            (":-\r\n", .invalidInteger),
            (": 1\r\n", .invalidInteger),
            (":+1\r\n", .invalidInteger),
            (":9223372036854775808\r\n", .invalidInteger),
            (":-9223372036854775809\r\n", .invalidInteger),
            (":99999999999999999999999\r\n", .invalidInteger),
            ("$x\r\n", .invalidInteger),
            ("$-2\r\n", .invalidLength(-2)),
            ("*-5\r\n", .invalidLength(-5)),
            ("$3\r\nfooXY", .missingBulkTerminator),
            ("$3\r\nfoo\n\r", .missingBulkTerminator),
            ("*2\r\n:1\r\n!", .unknownType(UInt8(ascii: "!"))),
        ]
        for (bytes, error) in cases {
            var parser = RESPParser()
            var buffer = ByteBuffer(string: bytes)
            #expect(throws: error, "\(bytes.debugDescription)") {
                _ = try Self.parseAll(&parser, &buffer)
            }
        }
    }

    @Test func limitsBoundWhatIsBuffered() {
        let limits = RESPParser.Limits(maxLineLength: 8, maxBulkLength: 4, maxElements: 5, maxDepth: 2)
        let cases: [(String, RESPProtocolError)] = [
            ("+123456789", .lineTooLong(limit: 8)),  // no CRLF yet, and already too long
            ("+123456789\r\n", .lineTooLong(limit: 8)),
            ("$5\r\nhello\r\n", .bulkStringTooLong(5, limit: 4)),
            ("$1000000\r\n", .bulkStringTooLong(1_000_000, limit: 4)),  // refused before its bytes come
            ("*6\r\n", .tooManyElements(limit: 5)),
            ("*3\r\n*3\r\n", .tooManyElements(limit: 5)),  // counted over the whole reply
            ("*1\r\n*1\r\n*1\r\n:1\r\n", .nestedTooDeeply(limit: 2)),
        ]
        for (bytes, error) in cases {
            var parser = RESPParser(limits: limits)
            var buffer = ByteBuffer(string: bytes)
            #expect(throws: error, "\(bytes.debugDescription)") {
                _ = try Self.parseAll(&parser, &buffer)
            }
        }
        // Within the limits, and the element count starts again with each reply.
        var parser = RESPParser(limits: limits)
        var buffer = ByteBuffer(string: "+12345678\r\n$4\r\nabcd\r\n")
        buffer.writeString("*1\r\n*3\r\n:1\r\n:2\r\n:3\r\n")
        buffer.writeString("*4\r\n:1\r\n:2\r\n:3\r\n:4\r\n")
        #expect((try? Self.parseAll(&parser, &buffer).count) == 4)
    }

    @Test func commandsAreArraysOfBulkStrings() throws {
        var buffer = ByteBuffer()
        buffer.writeRESPCommand(["SET", "k", ByteBuffer(string: "a\r\nb"), 42, UInt64(7), "é"[...]])
        #expect(
            String(buffer: buffer)
                == "*6\r\n$3\r\nSET\r\n$1\r\nk\r\n$4\r\na\r\nb\r\n$2\r\n42\r\n$1\r\n7\r\n$2\r\né\r\n"
        )
        // And they parse back as what Redis reads.
        var parser = RESPParser()
        let parsed = try parser.parse(&buffer)
        #expect(
            parsed
                == .value(
                    .array(
                        ["SET", "k", "a\r\nb", "42", "7", "é"].map { RESPValue.bulkString(ByteBuffer(string: $0)) }
                    )
                )
        )
        var empty = ByteBuffer()
        empty.writeRESPCommand([])
        #expect(String(buffer: empty) == "*0\r\n")
    }
}
