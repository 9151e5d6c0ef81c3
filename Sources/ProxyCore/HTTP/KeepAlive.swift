import NIOHTTP1

/// Whether a message lets its connection be kept open, decided as NIO's
/// `HTTPHeaders.isKeepAlive(version:)` does, without splitting strings.
///
/// NIO's own decoder hands over headers that already know the answer; ours makes `HTTPHeaders`
/// from parsed fields, which makes NIO scan for it the slow way (~3,500 instructions a call:
/// every value split into lowercased substrings).
enum KeepAlive {
    /// One `close`, or one `keep-alive`, in the `Connection` fields decides; none leaves the
    /// version's default (HTTP/1.1 keeps, HTTP/1.0 closes); more than one closes.
    static func isKeepAlive(_ headers: HTTPHeaders, version: HTTPVersion) -> Bool {
        var words = 0
        var keepAlive = false
        for (name, value) in headers where name.utf8.count == 10 && HeaderName.equals(name, "connection") {
            var value = value
            value.withUTF8 { bytes in
                var index = 0
                while index < bytes.count {
                    var end = index
                    while end < bytes.count && bytes[end] != UInt8(ascii: ",") { end += 1 }
                    var first = index
                    var last = end
                    while first < last && (bytes[first] == 0x20 || bytes[first] == 0x09) { first += 1 }
                    while last > first && (bytes[last - 1] == 0x20 || bytes[last - 1] == 0x09) { last -= 1 }
                    let token = UnsafeBufferPointer(rebasing: bytes[first..<last])
                    if Self.matches(token, "close") {
                        words += 1
                        keepAlive = false
                    } else if Self.matches(token, "keep-alive") {
                        words += 1
                        keepAlive = true
                    }
                    index = end + 1
                }
            }
        }
        switch words {
        case 0: return version.major == 1 && version.minor >= 1
        case 1: return keepAlive
        default: return false
        }
    }

    private static func matches(_ bytes: UnsafeBufferPointer<UInt8>, _ lowercased: StaticString) -> Bool {
        guard bytes.count == lowercased.utf8CodeUnitCount else { return false }
        let expected = lowercased.utf8Start
        for index in 0..<bytes.count where HeaderName.folded(bytes[index]) != expected[index] {
            return false
        }
        return true
    }
}
