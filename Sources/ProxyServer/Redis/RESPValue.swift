import NIOCore

/// One value of the Redis serialization protocol, version 2 (RESP2): what Redis answers to a
/// command.
///
/// RESP2 has five types; the null bulk string (`$-1`) and the null array (`*-1`) are `nil`
/// payloads of their types, as the protocol defines them, not a sixth type.
enum RESPValue: Hashable, Sendable {
    /// `+OK\r\n`: a short status line (never contains CR or LF).
    case simpleString(String)
    /// `-ERR unknown command\r\n`: an error reply. Its first word is the error's kind
    /// (`ERR`, `NOSCRIPT`, `WRONGTYPE`, …).
    case error(String)
    /// `:42\r\n`: a signed 64-bit integer.
    case integer(Int64)
    /// `$3\r\nfoo\r\n`: binary-safe bytes, or `nil` for the null bulk string (`$-1\r\n`, a
    /// missing key).
    case bulkString(ByteBuffer?)
    /// `*2\r\n…`: an array of values, or `nil` for the null array (`*-1\r\n`).
    case array([RESPValue]?)

    /// The text of a simple string or bulk string (bytes decoded as UTF-8), else `nil`.
    var string: String? {
        switch self {
        case .simpleString(let text): text
        case .bulkString(let bytes?): String(buffer: bytes)
        default: nil
        }
    }

    /// The value of an integer reply, else `nil`.
    var integerValue: Int64? {
        if case .integer(let value) = self { value } else { nil }
    }

    /// The elements of a non-null array, else `nil`.
    var elements: [RESPValue]? {
        if case .array(let elements?) = self { elements } else { nil }
    }

    /// The message of an error reply, else `nil`.
    var errorMessage: String? {
        if case .error(let message) = self { message } else { nil }
    }
}
