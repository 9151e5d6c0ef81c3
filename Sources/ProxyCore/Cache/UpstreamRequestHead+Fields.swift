import NIOCore

extension UpstreamRequestHead {
    /// Adds field lines to an encoded head (before its empty line): the validators of a
    /// revalidation.
    mutating func appendFields(_ fields: [(String, String)]) {
        guard !fields.isEmpty, self.bytes.readableBytes >= 2 else { return }
        self.bytes.moveWriterIndex(to: self.bytes.writerIndex - 2)
        for (name, value) in fields {
            self.bytes.writeString(name)
            self.bytes.writeString(": ")
            self.bytes.writeString(value)
            self.bytes.writeString("\r\n")
        }
        self.bytes.writeString("\r\n")
    }
}
