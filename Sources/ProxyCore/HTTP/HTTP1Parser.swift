import NIOCore
import NIOHTTP1

#if canImport(Glibc)
internal import Glibc
#elseif canImport(Musl)
internal import Musl
#elseif canImport(Darwin)
internal import Darwin
#endif

/// An incremental HTTP/1 message parser for one direction of one connection (decision 0012).
///
/// Called with the bytes received so far; returns the next part (head, body slice, end) or
/// `nil` when it needs more. A head is parsed once it is complete, in one pass
/// (``HTTP1HeadParser``); until then only its line ends are scanned (with `memchr`), from where
/// the previous read stopped. Body parts are slices of the received buffer, not copies.
///
/// The owner frames each message: after a head it calls ``startBody(_:)`` with what the head
/// and the context (request method, status) say, or ``expectAnotherHead()`` to drop it.
struct HTTP1Parser {
    enum Event {
        /// A head was parsed: ``takeHead()`` hands it over (kept out of the event, which is then
        /// small and copied cheaply).
        case head
        case body(ByteBuffer)
        case end(HTTPHeaders?)
    }

    enum Framing: Hashable {
        case none
        case length(Int)
        case chunked
        /// The body ends when the connection does (responses only).
        case untilClose
    }

    private enum State {
        case head
        case framing
        case length(Int)
        case chunkSize
        case chunkData(Int)
        case chunkDataEnd
        case trailers
        case untilClose
        case end
    }

    /// A chunk-size line (with extensions) may be this long.
    static let maxChunkLineBytes = 4096

    private let isRequest: Bool
    /// Whether heads keep their field lines as received (``HTTP1Head/rawFields``).
    private let keepsRawFields: Bool
    private let buildsFields: Bool
    private let maxHeadBytes: Int
    private let maxFields: Int
    private var state = State.head
    /// How far the current head (or trailer section) was scanned for its end, and where its
    /// unfinished line began: offsets from the buffer's reader index.
    private var scanned = 0
    private var lineStart = 0
    /// Lines of the current head found so far.
    private var lines = 0
    /// The previous head's fields, whose strings the next head reuses where they are the same.
    private var previousFields: [(String, String)] = []
    /// The head just parsed, until taken.
    private var head: HTTP1Head?

    /// - Parameters:
    ///   - maxHeadBytes: A head (start line and fields) or a trailer section may be this long.
    ///   - maxFields: A head may have this many fields.
    ///   - keepsRawFields: Heads keep their field lines as received (``HTTP1Head/rawFields``).
    ///   - buildsFields: Heads come with their fields (``HTTP1Head/fields``); when not, only
    ///     with their lines (`keepsRawFields`), read from them when needed.
    init(isRequest: Bool, maxHeadBytes: Int, maxFields: Int, keepsRawFields: Bool = false, buildsFields: Bool = true) {
        precondition(buildsFields || keepsRawFields, "a head's fields must be kept one way or the other")
        self.isRequest = isRequest
        self.keepsRawFields = keepsRawFields
        self.buildsFields = buildsFields
        self.maxHeadBytes = maxHeadBytes
        self.maxFields = maxFields
    }

    /// The parser for a target's responses, wherever they are read (proxied, health probes):
    /// NIO's default limits for responses; heads keep their field lines and get no field strings
    /// (the session copies the lines as received, and reads fields from them only to rebuild a head).
    static func forTargetResponses() -> HTTP1Parser {
        HTTP1Parser(isRequest: false, maxHeadBytes: 80 * 1024, maxFields: Int(UInt16.max) - 1, keepsRawFields: true, buildsFields: false)
    }

    /// Whether a message was begun and not finished (bytes of a head count).
    func isMidMessage(_ buffer: ByteBuffer) -> Bool {
        switch self.state {
        case .head: buffer.readableBytes > 0
        default: true
        }
    }

    /// The head just parsed (once after each ``Event/head``).
    mutating func takeHead() -> HTTP1Head {
        let head = self.head.take()!
        return head
    }

    /// Frames the body of the message whose head was just returned.
    mutating func startBody(_ framing: Framing) {
        precondition(self.isAwaitingFraming)
        switch framing {
        case .none: self.state = .end
        case .length(let length): self.state = length > 0 ? .length(length) : .end
        case .chunked: self.state = .chunkSize
        case .untilClose: self.state = .untilClose
        }
    }

    /// Drops the message whose head was just returned (an interim response); a head follows.
    mutating func expectAnotherHead() {
        precondition(self.isAwaitingFraming)
        self.state = .head
    }

    private var isAwaitingFraming: Bool {
        if case .framing = self.state { true } else { false }
    }

    /// The next part, consuming its bytes; `nil` when more bytes are needed.
    mutating func next(_ buffer: inout ByteBuffer) throws -> Event? {
        while true {
            switch self.state {
            case .head:
                guard buffer.readableBytes > 0 else { return nil }
                guard let length = try self.findEmptyLine(in: &buffer, skippingLeadingEmptyLines: self.isRequest) else {
                    try self.checkStart(of: buffer)
                    return nil
                }
                let hints = HTTP1HeadParser.Hints(previous: self.previousFields, lines: self.lines, buildsFields: self.buildsFields)
                var head = try buffer.withUnsafeReadableBytes { bytes in
                    let head = UnsafeRawBufferPointer(rebasing: bytes[0..<length])
                    return try self.isRequest
                        ? HTTP1HeadParser.parseRequest(head, maxFields: self.maxFields, hints: hints)
                        : HTTP1HeadParser.parseResponse(head, maxFields: self.maxFields, hints: hints)
                }
                if self.keepsRawFields {
                    head.rawFields = buffer.getSlice(at: buffer.readerIndex + head.fieldsStart, length: length - 2 - head.fieldsStart)
                }
                buffer.moveReaderIndex(forwardBy: length)
                self.lines = 0
                self.previousFields = head.fields
                self.head = head
                self.state = .framing
                return .head
            case .framing:
                preconditionFailure("a head was returned and not framed")
            case .end:
                self.state = .head
                return .end(nil)
            case .length(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let count = min(remaining, buffer.readableBytes)
                self.state = count == remaining ? .end : .length(remaining - count)
                return .body(buffer.readSlice(length: count)!)
            case .chunkData(let remaining):
                guard buffer.readableBytes > 0 else { return nil }
                let count = min(remaining, buffer.readableBytes)
                self.state = count == remaining ? .chunkDataEnd : .chunkData(remaining - count)
                return .body(buffer.readSlice(length: count)!)
            case .chunkDataEnd:
                guard buffer.readableBytes >= 2 else { return nil }
                guard buffer.readInteger(as: UInt16.self) == Self.crlf else {
                    throw HTTP1ParseError.malformed("chunk data not followed by CRLF")
                }
                self.state = .chunkSize
            case .chunkSize:
                guard let size = try Self.readChunkSize(&buffer) else { return nil }
                self.state = size == 0 ? .trailers : .chunkData(size)
            case .trailers:
                guard buffer.readableBytes >= 2 else { return nil }
                if buffer.getInteger(at: buffer.readerIndex, as: UInt16.self) == Self.crlf {
                    buffer.moveReaderIndex(forwardBy: 2)
                    self.state = .head
                    return .end(nil)
                }
                guard let length = try self.findEmptyLine(in: &buffer, skippingLeadingEmptyLines: false) else {
                    return nil
                }
                var trailers = HTTP1Head(version: .http1_1)
                try buffer.withUnsafeReadableBytes { bytes in
                    let section = UnsafeRawBufferPointer(rebasing: bytes[0..<length])
                    try HTTP1HeadParser.parseFields(section, from: 0, maxFields: self.maxFields, hints: HTTP1HeadParser.Hints(lines: self.lines), into: &trailers)
                }
                self.lines = 0
                buffer.moveReaderIndex(forwardBy: length)
                self.state = .head
                return .end(HTTPHeaders(trailers.fields))
            case .untilClose:
                guard buffer.readableBytes > 0 else { return nil }
                return .body(buffer.readSlice(length: buffer.readableBytes)!)
            }
        }
    }

    /// At the end of input, after ``next(_:)`` returned `nil`: the end of a body that lasts
    /// until the close, nothing between messages, an error in the middle of one.
    mutating func finish(_ buffer: ByteBuffer) throws -> Event? {
        switch self.state {
        case .untilClose:
            self.state = .head
            return .end(nil)
        case .head where buffer.readableBytes == 0:
            return nil
        default:
            throw HTTP1ParseError.malformed("connection closed in the middle of a message")
        }
    }

    private static let crlf = UInt16(0x0D0A)

    /// Refuses at once what cannot begin a message (a TLS hello sent to a plain listener, say),
    /// rather than waiting for a line end that may never come.
    private func checkStart(of buffer: ByteBuffer) throws {
        guard self.scanned > 0 && self.lineStart == 0, let first = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else {
            return
        }
        let plausible = self.isRequest
            ? (first >= UInt8(ascii: "A") && first <= UInt8(ascii: "Z")) || first == UInt8(ascii: "-") || first == UInt8(ascii: "_") || first == 0x0D
            : first == UInt8(ascii: "H")
        guard plausible else { throw HTTP1ParseError.malformed("not an HTTP/1 message") }
    }

    /// The length of the bytes up to and including the first empty line, once it arrived; every
    /// LF must follow a CR. Resumes where the previous call stopped.
    private mutating func findEmptyLine(in buffer: inout ByteBuffer, skippingLeadingEmptyLines: Bool) throws -> Int? {
        while true {
            var scanned = self.scanned
            var lineStart = self.lineStart
            var lines = self.lines
            let found: Int? = try buffer.withUnsafeReadableBytes { bytes in
                guard let base = bytes.baseAddress else { return nil }
                while scanned < bytes.count {
                    guard let match = memchr(base + scanned, 0x0A, bytes.count - scanned) else {
                        scanned = bytes.count
                        break
                    }
                    let lf = UnsafeRawPointer(match) - base
                    guard lf > 0, bytes[lf - 1] == 0x0D else { throw HTTP1ParseError.malformed("bare LF") }
                    scanned = lf + 1
                    lines += 1
                    if lf - lineStart == 1 {
                        return lf + 1
                    }
                    lineStart = lf + 1
                }
                return nil
            }
            if let found {
                self.scanned = 0
                self.lineStart = 0
                self.lines = lines
                if found == 2 && skippingLeadingEmptyLines {
                    // An empty line before a request line is ignored (RFC 9112 §2.2).
                    self.lines = 0
                    buffer.moveReaderIndex(forwardBy: 2)
                    continue
                }
                guard found <= self.maxHeadBytes else { throw HTTP1ParseError.tooLarge }
                return found
            }
            guard scanned <= self.maxHeadBytes else { throw HTTP1ParseError.tooLarge }
            self.scanned = scanned
            self.lineStart = lineStart
            self.lines = lines
            return nil
        }
    }

    /// Reads `chunk-size [chunk-ext] CRLF` (RFC 9112 §7.1) once the line is complete.
    private static func readChunkSize(_ buffer: inout ByteBuffer) throws -> Int? {
        let result: (size: Int, length: Int)? = try buffer.withUnsafeReadableBytes { bytes in
            guard let base = bytes.baseAddress else { return nil }
            let window = min(bytes.count, Self.maxChunkLineBytes)
            guard let match = memchr(base, 0x0A, window) else {
                guard bytes.count < Self.maxChunkLineBytes else { throw HTTP1ParseError.malformed("chunk-size line too long") }
                return nil
            }
            let lf = UnsafeRawPointer(match) - base
            guard lf > 0, bytes[lf - 1] == 0x0D else { throw HTTP1ParseError.malformed("bare LF") }
            var size = 0
            var index = 0
            while index < lf - 1, let digit = Self.hexValue(bytes[index]) {
                guard index < 15 else { throw HTTP1ParseError.malformed("chunk size too large") }
                size = size << 4 | digit
                index += 1
            }
            guard index > 0 else { throw HTTP1ParseError.malformed("invalid chunk size") }
            // Extensions are passed over, not interpreted: `;` after optional whitespace, then
            // no control character but tab.
            if index < lf - 1 {
                while bytes[index] == 0x20 || bytes[index] == 0x09 { index += 1 }
                guard bytes[index] == UInt8(ascii: ";") else { throw HTTP1ParseError.malformed("invalid chunk size") }
                while index < lf - 1 {
                    let byte = bytes[index]
                    guard byte == 0x09 || (byte >= 0x20 && byte != 0x7F) else {
                        throw HTTP1ParseError.malformed("control character in chunk extension")
                    }
                    index += 1
                }
            }
            return (size, lf + 1)
        }
        guard let result else { return nil }
        buffer.moveReaderIndex(forwardBy: result.length)
        return result.size
    }

    @inline(__always)
    private static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(byte &- UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): Int(byte &- UInt8(ascii: "a") &+ 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): Int(byte &- UInt8(ascii: "A") &+ 10)
        default: nil
        }
    }
}

extension Optional where Wrapped == ByteBuffer {
    /// Adds a read's bytes to what waits unparsed: the read's own buffer when nothing waits (no
    /// copy), else appended.
    mutating func appendReceived(_ bytes: inout ByteBuffer) {
        if self == nil || self!.readableBytes == 0 {
            self = bytes
        } else {
            self!.writeBuffer(&bytes)
        }
    }
}
