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
    /// Writes a command as Redis reads it: an array of bulk strings
    /// (`*2\r\n$3\r\nGET\r\n$1\r\nk\r\n` for `["GET", "k"]`).
    mutating func writeRESPCommand(_ arguments: [any RESPArgument]) {
        self.writeStaticString("*")
        self.writeString(String(arguments.count))
        self.writeStaticString("\r\n")
        for argument in arguments {
            argument.writeRESPBulkString(into: &self)
        }
    }

    /// `$<length>\r\n`, the start of a bulk string.
    fileprivate mutating func writeRESPBulkStringHeader(length: Int) {
        self.writeStaticString("$")
        self.writeString(String(length))
        self.writeStaticString("\r\n")
    }
}
