public import NIOHTTP1
public import ProxyDefaults

/// A route's response compression (`routes[].compression`, docs/content.md): which codings it
/// offers, from which size, for which media types, at which level; and the pure decisions made
/// with it for one response.
///
/// A reference shared by every request on the route: the session holds it per request for one
/// retain, not a copy of its arrays. A route without compression has none.
public final class CompressionPolicy: Sendable {
    /// Offered codings, preferred first.
    public let encodings: [ContentCoding]
    /// A response whose `Content-Length` is below this is sent as it is.
    public let minBytes: Int
    /// `type/subtype` (lower case), or `type/*`.
    public let types: [String]
    public let levels: Levels

    /// One level per coding: each library has its own scale (decision 0026).
    public struct Levels: Sendable, Hashable {
        public var gzip: Int
        public var br: Int
        public var zstd: Int

        public init(
            gzip: Int = Defaults.Compression.gzipLevel,
            br: Int = Defaults.Compression.brotliLevel,
            zstd: Int = Defaults.Compression.zstdLevel
        ) {
            self.gzip = gzip
            self.br = br
            self.zstd = zstd
        }

        public func level(for coding: ContentCoding) -> Int {
            switch coding {
            case .gzip: self.gzip
            case .br: self.br
            case .zstd: self.zstd
            }
        }
    }

    public init(
        encodings: [ContentCoding] = Defaults.Compression.encodings.compactMap(ContentCoding.init(rawValue:)),
        minBytes: Int = Defaults.Compression.minBytes,
        types: [String] = Defaults.Compression.types,
        levels: Levels = Levels()
    ) {
        self.encodings = encodings
        self.minBytes = minBytes
        self.types = types.map { $0.lowercased() }
        self.levels = levels
    }

    /// The coding the request allows, before the response is seen: `nil` (as it is) for
    /// `HEAD`, for HTTP/1.0 clients (a compressed body has no length: it would cost them their
    /// keep-alive connection, as nginx's `gzip_http_version 1.1` decides too) and when
    /// ``AcceptEncoding`` picks none.
    public func coding(method: HTTPMethod, version: HTTPVersion, acceptEncoding: [String]) -> ContentCoding? {
        guard !acceptEncoding.isEmpty, method != .HEAD, method != .CONNECT else { return nil }
        guard version.major >= 2 || (version.major == 1 && version.minor >= 1) else { return nil }
        return AcceptEncoding.negotiate(acceptEncoding, offered: self.encodings)
    }

    /// Whether a response with this status and these fields (as the target sent them) is
    /// compressed: not when it has no body or is partial (`204`, `304`, `206`, `1xx`), is already
    /// encoded (`Content-Encoding`), says `Cache-Control: no-transform`, has a media type not
    /// listed (or none), or states a `Content-Length` below ``minBytes``.
    public func compresses(status: HTTPResponseStatus, fields: HTTPHeaders) -> Bool {
        let code = status.code
        guard code >= 200, code != 204, code != 205, code != 206, code != 304, status.mayHaveResponseBody else { return false }
        guard !fields.contains(name: "content-encoding"), !fields.contains(name: "content-range") else { return false }
        for value in fields[canonicalForm: "cache-control"] where ContentCoding.equals(Self.directiveName(value), "no-transform") {
            return false
        }
        guard let type = fields.first(name: "content-type"), self.listsType(type) else { return false }
        if let length = fields.first(name: "content-length").flatMap({ Int($0.trimmingSpaces()) }), length < self.minBytes {
            return false
        }
        return true
    }

    /// Whether a `Content-Type` value (parameters and case ignored) is among ``types``.
    public func listsType(_ contentType: String) -> Bool {
        let essence = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false).first.map { $0.trimmingSpaces().lowercased() } ?? ""
        guard let slash = essence.firstIndex(of: "/") else { return false }
        let topLevel = essence[..<slash]
        for pattern in self.types {
            if pattern == essence { return true }
            if pattern.hasSuffix("/*"), pattern.utf8.count == topLevel.utf8.count + 2, pattern.hasPrefix(topLevel) { return true }
        }
        return false
    }

    /// A `Cache-Control` directive's name, without its argument (`max-age=60` → `max-age`).
    private static func directiveName(_ directive: Substring) -> Substring {
        let name = directive.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false).first ?? directive
        var trimmed = name
        while let first = trimmed.first, first == " " || first == "\t" { trimmed = trimmed.dropFirst() }
        while let last = trimmed.last, last == " " || last == "\t" { trimmed = trimmed.dropLast() }
        return trimmed
    }

    /// The fields of a response sent with `coding`, from the rewritten head's: `Content-Encoding`
    /// added, `Content-Length` and `Accept-Ranges` removed (the length is unknown until the
    /// end; ranges of the compressed form are not served), a strong `ETag` made weak (the bytes
    /// differ, the content is the same: RFC 9110 §8.8.1), `Accept-Encoding` added to `Vary`
    /// (merged into an existing one; left alone under `Vary: *`).
    public static func compressedFields(_ fields: inout HTTPHeaders, coding: ContentCoding) {
        fields.remove(name: "content-length")
        fields.remove(name: "accept-ranges")
        if let etag = fields.first(name: "etag") {
            let trimmed = etag.trimmingSpaces()
            if !trimmed.hasPrefix("W/") {
                fields.replaceOrAdd(name: "ETag", value: "W/\(trimmed)")
            }
        }
        let vary = fields[canonicalForm: "vary"]
        if vary.isEmpty {
            fields.add(name: "Vary", value: "Accept-Encoding")
        } else if !vary.contains(where: { $0.trimmingSpaces() == "*" || ContentCoding.equals(Substring($0.trimmingSpaces()), "accept-encoding") }) {
            let merged = vary.map { $0.trimmingSpaces() }.filter { !$0.isEmpty }.joined(separator: ", ") + ", Accept-Encoding"
            fields.replaceOrAdd(name: "Vary", value: merged)
        }
        fields.add(name: "Content-Encoding", value: coding.token)
    }
}
