/// Why bytes received from Redis are not RESP2, or not RESP2 within the parser's limits.
///
/// After one of these the byte stream cannot be resynchronized: the connection must be closed.
enum RESPProtocolError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The first byte of a value is none of `+ - : $ *`.
    case unknownType(UInt8)
    /// A line's CR is not followed by LF, or a simple string or error contains LF.
    case malformedLine
    /// No CRLF within ``RESPParser/Limits/maxLineLength`` bytes.
    case lineTooLong(limit: Int)
    /// An integer, bulk length or array count that is not a decimal 64-bit integer.
    case invalidInteger
    /// A negative bulk length or array count other than `-1` (null).
    case invalidLength(Int64)
    /// A bulk string longer than ``RESPParser/Limits/maxBulkLength``.
    case bulkStringTooLong(Int64, limit: Int)
    /// More array elements in one reply than ``RESPParser/Limits/maxElements``.
    case tooManyElements(limit: Int)
    /// Arrays nested deeper than ``RESPParser/Limits/maxDepth``.
    case nestedTooDeeply(limit: Int)
    /// A bulk string's bytes are not followed by CRLF.
    case missingBulkTerminator

    var description: String {
        switch self {
        case .unknownType(let byte): "unknown RESP type byte 0x\(String(byte, radix: 16))"
        case .malformedLine: "line not terminated by CRLF"
        case .lineTooLong(let limit): "line longer than \(limit) bytes"
        case .invalidInteger: "not a decimal 64-bit integer"
        case .invalidLength(let length): "invalid length \(length)"
        case .bulkStringTooLong(let length, let limit): "bulk string of \(length) bytes (limit \(limit))"
        case .tooManyElements(let limit): "more than \(limit) array elements in one reply"
        case .nestedTooDeeply(let limit): "arrays nested deeper than \(limit)"
        case .missingBulkTerminator: "bulk string not terminated by CRLF"
        }
    }
}
