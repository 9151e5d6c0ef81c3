/// A request's path as a static route sees it: percent-decoded once, split into segments, `.`
/// and `..` resolved, and refused when it could name something outside the root (a `..` above
/// it, an encoded `/` or `\`, a NUL, escapes that are not UTF-8).
///
/// Pure. Decoding happens exactly once: `%252e` stays the three characters `%2e` in a file name.
public struct StaticPath: Equatable, Sendable {
    /// The decoded segments below the root (none for the root itself).
    public var segments: [String]
    /// The request path ended with `/` (a directory was asked for).
    public var trailingSlash: Bool

    public init(segments: [String], trailingSlash: Bool) {
        self.segments = segments
        self.trailingSlash = trailingSlash
    }

    /// Why a path was refused (answered `400`; the reason goes to the access log).
    public enum Refusal: String, Error, Equatable, Sendable {
        case notAbsolute = "path_not_absolute"
        case badPercentEncoding = "bad_percent_encoding"
        case notUTF8 = "path_not_utf8"
        case nul = "encoded_nul"
        case encodedSlash = "encoded_slash"
        case traversal = "path_traversal"
    }

    /// Parses `path` (the request target's path, without its query, after the route's rewrite).
    public static func parse(_ path: String) -> Result<StaticPath, Refusal> {
        let bytes = Array(path.utf8)
        guard bytes.first == UInt8(ascii: "/") else { return .failure(.notAbsolute) }
        var segments: [String] = []
        var start = 1
        var index = 1
        while index <= bytes.count {
            if index == bytes.count || bytes[index] == UInt8(ascii: "/") {
                if index > start {
                    switch Self.decode(bytes[start..<index]) {
                    case .failure(let refusal):
                        return .failure(refusal)
                    case .success("."):
                        break
                    case .success(".."):
                        guard !segments.isEmpty else { return .failure(.traversal) }
                        segments.removeLast()
                    case .success(let segment):
                        segments.append(segment)
                    }
                }
                start = index + 1
            }
            index += 1
        }
        return .success(StaticPath(segments: segments, trailingSlash: bytes.count > 1 && bytes.last == UInt8(ascii: "/")))
    }

    /// One segment, percent-decoded once.
    private static func decode(_ raw: ArraySlice<UInt8>) -> Result<String, Refusal> {
        var decoded: [UInt8] = []
        decoded.reserveCapacity(raw.count)
        var index = raw.startIndex
        while index < raw.endIndex {
            let byte = raw[index]
            if byte == UInt8(ascii: "%") {
                guard index + 2 < raw.endIndex,
                    let high = Self.hex(raw[index + 1]), let low = Self.hex(raw[index + 2])
                else { return .failure(.badPercentEncoding) }
                decoded.append(high << 4 | low)
                index += 3
            } else {
                decoded.append(byte)
                index += 1
            }
        }
        if decoded.contains(0) { return .failure(.nul) }
        if decoded.contains(UInt8(ascii: "/")) || decoded.contains(UInt8(ascii: "\\")) { return .failure(.encodedSlash) }
        guard let text = String(validating: decoded, as: UTF8.self) else { return .failure(.notUTF8) }
        return .success(text)
    }

    private static func hex(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// The path as `$uri` in a `try_files` candidate: `/` and the segments, with the trailing
    /// slash when the request had one.
    public var uri: String {
        "/" + self.segments.joined(separator: "/") + (self.trailingSlash && !self.segments.isEmpty ? "/" : "")
    }

    /// Whether a segment is hidden as a dotfile: one starting with `.`, except a first
    /// `.well-known` (RFC 8615: ACME challenges, `security.txt`).
    public static func hidesDotfile(_ segments: some Collection<String>) -> Bool {
        for (position, segment) in segments.enumerated() where segment.hasPrefix(".") {
            if position == 0 && segment == ".well-known" { continue }
            return true
        }
        return false
    }

    /// The segments a `try_files` candidate names for this path (`$uri` replaced), and whether
    /// it asks for a directory (ends with `/`); `nil` when the result would climb (`..`).
    public func candidate(_ template: String) -> (segments: [String], directory: Bool)? {
        let expanded = template.replacing("$uri", with: self.uri)
        var segments: [String] = []
        for part in expanded.split(separator: "/", omittingEmptySubsequences: true) {
            if part == "." { continue }
            if part == ".." { return nil }
            segments.append(String(part))
        }
        return (segments, expanded.hasSuffix("/"))
    }
}
