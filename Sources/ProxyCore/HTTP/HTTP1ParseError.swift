/// Why an HTTP/1 message could not be parsed (``HTTP1Parser``).
///
/// A request that fails gets `431` when its head is too large and `400` otherwise; a response
/// that fails ends the target connection (the client gets `502`).
struct HTTP1ParseError: Error, Hashable, CustomStringConvertible {
    /// The head (or a trailer section, or a chunk-size line) is over its limit.
    var headTooLarge: Bool
    /// For logs.
    var reason: String

    static func malformed(_ reason: String) -> Self {
        Self(headTooLarge: false, reason: reason)
    }

    static let tooLarge = Self(headTooLarge: true, reason: "head too large")

    var description: String { self.reason }
}
