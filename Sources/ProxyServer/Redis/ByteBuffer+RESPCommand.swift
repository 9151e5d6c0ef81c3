import NIOCore

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
}
