import NIOCore

/// A value that can be one argument of a Redis command. Redis commands are arrays of bulk
/// strings, so every argument is written as one: text as its UTF-8 bytes, numbers in decimal.
protocol RESPArgument: Sendable {
    /// The argument's bytes and their count.
    func writeRESPBulkString(into buffer: inout ByteBuffer)
}

extension String: RESPArgument {
    func writeRESPBulkString(into buffer: inout ByteBuffer) {
        buffer.writeRESPBulkStringHeader(length: self.utf8.count)
        buffer.writeString(self)
        buffer.writeStaticString("\r\n")
    }
}

extension Substring: RESPArgument {
    func writeRESPBulkString(into buffer: inout ByteBuffer) {
        buffer.writeRESPBulkStringHeader(length: self.utf8.count)
        buffer.writeSubstring(self)
        buffer.writeStaticString("\r\n")
    }
}

extension ByteBuffer: RESPArgument {
    func writeRESPBulkString(into buffer: inout ByteBuffer) {
        buffer.writeRESPBulkStringHeader(length: self.readableBytes)
        buffer.writeImmutableBuffer(self)
        buffer.writeStaticString("\r\n")
    }
}

extension Int: RESPArgument {
    func writeRESPBulkString(into buffer: inout ByteBuffer) {
        String(self).writeRESPBulkString(into: &buffer)
    }
}

extension UInt64: RESPArgument {
    func writeRESPBulkString(into buffer: inout ByteBuffer) {
        String(self).writeRESPBulkString(into: &buffer)
    }
}

extension ByteBuffer {
    /// `$<length>\r\n`, the start of a bulk string.
    fileprivate mutating func writeRESPBulkStringHeader(length: Int) {
        self.writeStaticString("$")
        self.writeString(String(length))
        self.writeStaticString("\r\n")
    }
}
