import NIOCore

/// An incremental RESP2 parser: call ``parse(_:)`` with the bytes received so far, and again
/// with more when it answers ``Outcome/needMoreBytes``.
///
/// Bytes are consumed one complete element (a line, or a bulk string with its bytes) at a
/// time, and arrays are built on a stack of partial arrays kept between calls, so bytes that
/// arrive one at a time are never scanned again once an element is complete. An incomplete
/// element is left in the buffer (its header is looked at again when more bytes come, which
/// ``Limits/maxLineLength`` bounds).
///
/// Sizes are bounded (``Limits``): a misbehaving server cannot make the parser buffer or
/// allocate without limit. A thrown ``RESPProtocolError`` leaves the parser unusable: close
/// the connection.
struct RESPParser {
    /// What the parser accepts; anything beyond is a ``RESPProtocolError``.
    struct Limits: Sendable, Hashable {
        /// The longest line: a simple string, an error, an integer or a length header, without
        /// its CRLF.
        var maxLineLength: Int
        /// The longest bulk string.
        var maxBulkLength: Int
        /// Array elements in one reply, all arrays of it counted (as they are announced).
        var maxElements: Int
        /// Arrays inside arrays: 1 allows a flat array.
        var maxDepth: Int

        init(
            maxLineLength: Int = 64 * 1024,
            maxBulkLength: Int = 16 * 1024 * 1024,
            maxElements: Int = 1 << 20,
            maxDepth: Int = 8
        ) {
            self.maxLineLength = maxLineLength
            self.maxBulkLength = maxBulkLength
            self.maxElements = maxElements
            self.maxDepth = maxDepth
        }
    }

    /// The result of one ``parse(_:)`` call that did not throw.
    enum Outcome: Hashable {
        /// The buffer holds no complete value yet; what it holds of one has been kept or consumed.
        case needMoreBytes
        /// One complete value, consumed from the buffer.
        case value(RESPValue)
    }

    /// An array whose elements are still arriving.
    private struct PartialArray {
        var remaining: Int
        var elements: [RESPValue]
    }

    /// One element read from the wire: a whole non-array value, or an array's header.
    private enum Element {
        case value(RESPValue)
        case arrayHeader(count: Int)
    }

    let limits: Limits
    private var open: [PartialArray] = []
    /// Array elements announced so far by the reply being parsed.
    private var announcedElements = 0

    init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Parses the next value from `buffer`, consuming what it used.
    ///
    /// - Returns: ``Outcome/value(_:)`` with one complete value, or ``Outcome/needMoreBytes``.
    /// - Throws: ``RESPProtocolError`` when the bytes are not RESP2 or exceed ``limits``.
    mutating func parse(_ buffer: inout ByteBuffer) throws(RESPProtocolError) -> Outcome {
        while true {
            guard let element = try self.element(from: &buffer) else { return .needMoreBytes }
            var value: RESPValue
            switch element {
            case .value(let complete):
                value = complete
            case .arrayHeader(let count):
                guard self.open.count < self.limits.maxDepth else {
                    throw .nestedTooDeeply(limit: self.limits.maxDepth)
                }
                self.announcedElements += count
                guard self.announcedElements <= self.limits.maxElements else {
                    throw .tooManyElements(limit: self.limits.maxElements)
                }
                var elements: [RESPValue] = []
                elements.reserveCapacity(min(count, 64))  // the count is the server's word, not yet bytes
                self.open.append(PartialArray(remaining: count, elements: elements))
                continue
            }
            // A complete value ends the innermost open array when it is that array's last.
            while !self.open.isEmpty {
                let innermost = self.open.count - 1
                self.open[innermost].elements.append(value)
                self.open[innermost].remaining -= 1
                guard self.open[innermost].remaining == 0 else { break }
                value = .array(self.open.removeLast().elements)
            }
            if self.open.isEmpty {
                self.announcedElements = 0
                return .value(value)
            }
        }
    }

    /// Reads one element, or nothing (`nil`) when the buffer does not hold all of it yet.
    private func element(from buffer: inout ByteBuffer) throws(RESPProtocolError) -> Element? {
        guard let type = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        guard Self.types.contains(type) else { throw .unknownType(type) }
        guard let line = try self.line(in: buffer) else { return nil }
        switch type {
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard !buffer.readableBytesView[line.content].contains(UInt8(ascii: "\n")) else {
                throw .malformedLine
            }
            let text = buffer.getString(at: line.content.lowerBound, length: line.content.count)!
            buffer.moveReaderIndex(to: line.end)
            return .value(type == UInt8(ascii: "+") ? .simpleString(text) : .error(text))
        case UInt8(ascii: ":"):
            let value = try Self.integer(buffer.readableBytesView[line.content])
            buffer.moveReaderIndex(to: line.end)
            return .value(.integer(value))
        case UInt8(ascii: "$"):
            let length = try Self.integer(buffer.readableBytesView[line.content])
            if length == -1 {
                buffer.moveReaderIndex(to: line.end)
                return .value(.bulkString(nil))
            }
            guard length >= 0 else { throw .invalidLength(length) }
            guard length <= self.limits.maxBulkLength else {
                throw .bulkStringTooLong(length, limit: self.limits.maxBulkLength)
            }
            let count = Int(length)
            guard buffer.writerIndex - line.end >= count + 2 else { return nil }
            guard buffer.getInteger(at: line.end + count, as: UInt16.self) == Self.crlf else {
                throw .missingBulkTerminator
            }
            buffer.moveReaderIndex(to: line.end)
            let bytes = buffer.readSlice(length: count)!
            buffer.moveReaderIndex(forwardBy: 2)
            return .value(.bulkString(bytes))
        case UInt8(ascii: "*"):
            let count = try Self.integer(buffer.readableBytesView[line.content])
            buffer.moveReaderIndex(to: line.end)
            if count == -1 { return .value(.array(nil)) }
            guard count >= 0 else { throw .invalidLength(count) }
            guard count <= self.limits.maxElements else { throw .tooManyElements(limit: self.limits.maxElements) }
            return count == 0 ? .value(.array([])) : .arrayHeader(count: Int(count))
        default:
            preconditionFailure("checked against RESPParser.types")
        }
    }

    /// The line that starts at the reader index: its content (absolute indices, after the type
    /// byte, before CRLF) and the index just past its CRLF; `nil` until its CRLF has arrived.
    private func line(in buffer: ByteBuffer) throws(RESPProtocolError) -> (content: Range<Int>, end: Int)? {
        let view = buffer.readableBytesView
        let start = view.startIndex + 1
        guard let cr = view[start...].firstIndex(of: UInt8(ascii: "\r")) else {
            guard view.count - 1 <= self.limits.maxLineLength else {
                throw .lineTooLong(limit: self.limits.maxLineLength)
            }
            return nil
        }
        guard cr - start <= self.limits.maxLineLength else { throw .lineTooLong(limit: self.limits.maxLineLength) }
        guard cr + 1 < view.endIndex else { return nil }
        guard view[cr + 1] == UInt8(ascii: "\n") else { throw .malformedLine }
        return (start..<cr, cr + 2)
    }

    /// The first bytes of the five RESP2 types.
    private static let types: [UInt8] = [
        UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "$"), UInt8(ascii: "*"),
    ]

    /// `\r\n` read as a big-endian `UInt16`.
    private static let crlf: UInt16 = 0x0D0A

    /// A decimal signed 64-bit integer: an optional `-`, then one or more digits, nothing else.
    private static func integer(_ bytes: ByteBufferView.SubSequence) throws(RESPProtocolError) -> Int64 {
        var digits = bytes[...]
        let negative = digits.first == UInt8(ascii: "-")
        if negative { digits = digits.dropFirst() }
        guard !digits.isEmpty else { throw .invalidInteger }
        var magnitude: UInt64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") else { throw .invalidInteger }
            let (times10, overflow1) = magnitude.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow1 && !overflow2 else { throw .invalidInteger }
            magnitude = sum
        }
        if negative {
            guard magnitude <= UInt64(Int64.max) + 1 else { throw .invalidInteger }
            return magnitude == UInt64(Int64.max) + 1 ? Int64.min : -Int64(magnitude)
        }
        guard magnitude <= UInt64(Int64.max) else { throw .invalidInteger }
        return Int64(magnitude)
    }
}
