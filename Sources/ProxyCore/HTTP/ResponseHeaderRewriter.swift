import NIOCore
public import NIOHTTP1

/// Rewrites a target's response head into the head sent to the client, in one pass.
///
/// Removes hop-by-hop fields and the identity headers that reveal what a backend runs (`Server`,
/// `X-Powered-By`, … — configurable), and sets our own `Server` header when one is configured,
/// then the fixed fields of the listener or route (`Strict-Transport-Security`, the response
/// header rules' lines without variables). The names the header rules remove or set are
/// stripped too, in the same pass.
/// `Content-Length` is end-to-end and kept, once: a target may repeat the same length (two
/// fields, or a list; RFC 9110 §8.6 lets us take it as one), and clients that refuse a repeated
/// length (llhttp does) get one field with the number. Otherwise the client side re-frames the body.
public struct ResponseHeaderRewriter: Sendable {
    /// Everything, in one reference: the rewriter is copied into every response head that
    /// copies a target's lines (``RawResponseFields``), and a copy is then one retain, not one
    /// per array and string.
    private final class Storage: Sendable {
        let stripped: [String]
        /// Bit `n`: a stripped name is `n` bytes long (longer ones set bit 63): most names are
        /// passed without a comparison.
        let strippedLengths: UInt64
        let serverHeader: String?
        let fixedFields: [(String, String)]
        let serverLine: ByteBuffer?
        /// The stripped names' bytes one after the other, and where each is: a raw name is
        /// compared with them without a call and a string's storage per stripped name (two of
        /// a usual target's fields, `Server` and `Content-Type`, have the length of one). (An
        /// index by length measured no faster for the handful of names.)
        let strippedBytes: [UInt8]
        let strippedRanges: [Range<Int>]

        init(stripped: [String], serverHeader: String?, fixedFields: [(String, String)]) {
            self.stripped = stripped
            self.strippedLengths = stripped.reduce(0) { $0 | 1 << UInt64(min($1.utf8.count, 63)) }
            var bytes: [UInt8] = []
            var ranges: [Range<Int>] = []
            for name in stripped {
                ranges.append(bytes.count..<(bytes.count + name.utf8.count))
                bytes.append(contentsOf: name.utf8)
            }
            self.strippedBytes = bytes
            self.strippedRanges = ranges
            self.serverHeader = serverHeader
            self.fixedFields = fixedFields
            self.serverLine = ResponseHeaderRewriter.lines(server: serverHeader, fixedFields: fixedFields)
        }
    }

    private var storage: Storage
    private var stripped: [String] { self.storage.stripped }
    private var strippedLengths: UInt64 { self.storage.strippedLengths }

    public var serverHeader: String? {
        get { self.storage.serverHeader }
        set { self.storage = Storage(stripped: self.storage.stripped, serverHeader: newValue, fixedFields: self.storage.fixedFields) }
    }
    /// Added after `Server` to every response: `Strict-Transport-Security`, static rule lines.
    public var fixedFields: [(String, String)] { self.storage.fixedFields }
    /// `Server: <serverHeader>` and the ``fixedFields``, each with its line end, written once for
    /// every head that copies a target's lines (``RawResponseFields``); `nil` when there is none.
    var serverLine: ByteBuffer? { self.storage.serverLine }

    public init(stripResponseHeaders: [String], serverHeader: String?, fixedFields: [(String, String)] = []) {
        self.storage = Storage(
            stripped: Array(Set(stripResponseHeaders.map { $0.lowercased() })).sorted(),
            serverHeader: serverHeader,
            fixedFields: fixedFields
        )
    }

    fileprivate static func lines(server: String?, fixedFields: [(String, String)]) -> ByteBuffer? {
        var line = ByteBuffer()
        if let server, !server.isEmpty {
            HTTP1Serializer.writeField("Server", server, into: &line)
        }
        for (name, value) in fixedFields {
            HTTP1Serializer.writeField(name, value, into: &line)
        }
        return line.readableBytes == 0 ? nil : line
    }

    /// Whether a field named by raw `name` is among the stripped (by length first).
    func strips(_ name: UnsafeRawBufferPointer) -> Bool {
        guard self.strippedLengths & 1 << UInt64(min(name.count, 63)) != 0 else { return false }
        let storage = self.storage
        return storage.strippedBytes.withUnsafeBufferPointer { bytes in
            for range in storage.strippedRanges where range.count == name.count {
                var same = true
                for offset in 0..<range.count where HeaderName.folded(name[offset]) != bytes[range.lowerBound + offset] {
                    same = false
                    break
                }
                if same { return true }
            }
            return false
        }
    }

    /// Whether a field named by raw `name` survives the rewrite when the `Connection` fields
    /// name nothing but `close` and `keep-alive`: not hop-by-hop, not stripped.
    func keepsField(named name: UnsafeRawBufferPointer) -> Bool {
        !HopByHop.isAlwaysRemoved(name) && !self.strips(name)
    }

    @inline(__always)
    private func isStripped(_ name: String) -> Bool {
        self.strippedLengths & 1 << UInt64(min(name.utf8.count, 63)) != 0
            && self.stripped.contains(where: { HeaderName.equals(name, $0) })
    }

    /// - Parameters:
    ///   - head: The response head from the target.
    ///   - clientVersion: The HTTP version of the client's request; the response uses it.
    ///   - hints: From the parser: the fields that may be hop-by-hop; the others are only
    ///     checked against the stripped names.
    public func rewrite(_ head: HTTPResponseHead, clientVersion: HTTPVersion, hints: FieldHints? = nil) -> HTTPResponseHead {
        // Collected as pairs and wrapped once: `HTTPHeaders.add` scans every name for
        // non-ASCII bytes, and these names were validated when the response was parsed.
        var fields: [(String, String)] = []
        fields.reserveCapacity(head.headers.count + 1)
        var connectionTokens: [String] = []
        var contentLength: Int?
        var index = -1
        for (name, value) in head.headers {
            index += 1
            if let hints, !hints.isSpecial(index) {
                if !self.isStripped(name) {
                    fields.append((name, value))
                }
                continue
            }
            if HopByHop.isAlwaysRemoved(name) {
                if HeaderName.equals(name, "connection") {
                    HopByHop.collectNames(inConnectionValue: value, into: &connectionTokens)
                }
                continue
            }
            if self.isStripped(name) {
                continue
            }
            if name.utf8.count == 14, HeaderName.equals(name, "content-length"), let length = Self.statedLength(value) {
                if contentLength == nil {
                    contentLength = length
                    fields.append((name, value.utf8.contains(UInt8(ascii: ",")) ? String(length) : value))
                } else if contentLength != length {
                    fields.append((name, value))  // a conflict our parser refuses: not ours to settle here
                }
                continue
            }
            fields.append((name, value))
        }
        HopByHop.removeNamed(connectionTokens, from: &fields)
        if let serverHeader = self.serverHeader, !serverHeader.isEmpty {
            fields.append(("Server", serverHeader))
        }
        fields.append(contentsOf: self.fixedFields)
        return HTTPResponseHead(version: clientVersion, status: head.status, headers: HTTPHeaders(fields))
    }

    /// The fields of a response the proxy makes itself (a static file's): ``rewrite(_:clientVersion:hints:)``'s
    /// result for fields that are never hop-by-hop and state their length once, without
    /// wrapping them in `HTTPHeaders` first — the stripped names dropped, then `Server` and the
    /// fixed fields.
    func ownFields(_ own: [(String, String)]) -> HTTPHeaders {
        var fields: [(String, String)] = []
        fields.reserveCapacity(own.count + 1 + self.fixedFields.count)
        for field in own where !self.isStripped(field.0) {
            fields.append(field)
        }
        if let serverHeader = self.serverHeader, !serverHeader.isEmpty {
            fields.append(("Server", serverHeader))
        }
        fields.append(contentsOf: self.fixedFields)
        return HTTPHeaders(fields)
    }

    /// The length a `Content-Length` value states when every member of its list states the
    /// same one (`5` or `5, 5`); `nil` otherwise.
    private static func statedLength(_ value: String) -> Int? {
        var length: Int?
        for member in value.split(separator: ",", omittingEmptySubsequences: false) {
            let digits = member.trimmingSpaces()
            guard !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let stated = Int(digits),
                length == nil || length == stated
            else { return nil }
            length = stated
        }
        return length
    }
}
