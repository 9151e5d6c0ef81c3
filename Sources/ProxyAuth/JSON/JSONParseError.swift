/// Why a JSON document was refused: where, and what was expected there.
public struct JSONParseError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Byte offset of the problem from the start of the input, counting from 0.
    public let offset: Int
    /// What is wrong, such as `duplicate member name "kid"`.
    public let message: String

    public init(offset: Int, message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String {
        "byte \(self.offset): \(self.message)"
    }

    /// The 1-based line and column of ``offset`` in `text`, for messages about files.
    public func lineAndColumn(in text: some Collection<UInt8>) -> (line: Int, column: Int) {
        var line = 1
        var column = 1
        for byte in text.prefix(self.offset) {
            if byte == UInt8(ascii: "\n") {
                line += 1
                column = 1
            } else {
                column += 1
            }
        }
        return (line, column)
    }
}
