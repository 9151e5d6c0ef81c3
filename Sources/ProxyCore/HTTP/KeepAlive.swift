import NIOHTTP1

/// Whether a message lets its connection be kept open, decided as NIO's
/// `HTTPHeaders.isKeepAlive(version:)` does, without splitting strings.
///
/// NIO's own decoder hands over headers that already know the answer; `HTTPHeaders` made from
/// parsed fields make NIO scan for it the slow way (~3,500 instructions a call: every value
/// split into lowercased substrings). Our parser counts the tokens while it reads the fields
/// (``HTTP1Head/connectionTokens``); ``isKeepAlive(_:version:)`` is for heads from elsewhere.
enum KeepAlive {
    /// The `close` and `keep-alive` tokens of a message's `Connection` fields.
    struct Tokens: Hashable, Sendable {
        var count = 0
        /// Whether the last one was `keep-alive`.
        var lastIsKeepAlive = false
        /// Another token came: a field to remove as hop-by-hop (RFC 9110 §7.6.1).
        var namesOtherFields = false
        /// A `close` came, which also names a field `Close` to remove.
        var sawClose = false
        /// An `upgrade` came: the message asks to switch protocols (its `Upgrade` field says to what).
        var sawUpgrade = false

        /// One `close`, or one `keep-alive`, decides; none leaves the version's default
        /// (HTTP/1.1 keeps, HTTP/1.0 closes); more than one closes.
        func isKeepAlive(version: HTTPVersion) -> Bool {
            switch self.count {
            case 0: version.major == 1 && version.minor >= 1
            case 1: self.lastIsKeepAlive
            default: false
            }
        }

        /// Counts the tokens of one `Connection` value.
        mutating func add(_ value: UnsafeRawBufferPointer) {
            var index = 0
            while index < value.count {
                var end = index
                while end < value.count && value[end] != UInt8(ascii: ",") { end += 1 }
                var first = index
                var last = end
                while first < last && (value[first] == 0x20 || value[first] == 0x09) { first += 1 }
                while last > first && (value[last - 1] == 0x20 || value[last - 1] == 0x09) { last -= 1 }
                let token = UnsafeRawBufferPointer(rebasing: value[first..<last])
                if HeaderName.matches(token, "close") {
                    self.count += 1
                    self.lastIsKeepAlive = false
                    self.sawClose = true
                } else if HeaderName.matches(token, "keep-alive") {
                    self.count += 1
                    self.lastIsKeepAlive = true
                } else if !token.isEmpty {
                    if HeaderName.matches(token, "upgrade") {
                        self.sawUpgrade = true
                    }
                    self.namesOtherFields = true
                }
                index = end + 1
            }
        }
    }

    static func isKeepAlive(_ headers: HTTPHeaders, version: HTTPVersion) -> Bool {
        var tokens = Tokens()
        for (name, value) in headers where name.utf8.count == 10 && HeaderName.equals(name, "connection") {
            var value = value
            value.withUTF8 { tokens.add(UnsafeRawBufferPointer($0)) }
        }
        return tokens.isKeepAlive(version: version)
    }
}
