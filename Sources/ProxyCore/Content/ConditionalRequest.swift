public import NIOHTTP1

/// What a static file's response is, given the request's conditions and `Range` (RFC 9110
/// §13.2.2 order: `If-Match`, `If-Unmodified-Since`, `If-None-Match`, `If-Modified-Since`,
/// then `If-Range` and `Range`). Pure.
public enum ConditionalRequest {
    public enum Plan: Equatable, Sendable {
        /// `200` with the whole file.
        case full
        /// `304`.
        case notModified
        /// `412`.
        case preconditionFailed
        /// `206` with these bytes.
        case partial(offset: Int64, length: Int64)
        /// `416` (`Content-Range: bytes */size`).
        case unsatisfiable
    }

    public static func plan(method: HTTPMethod, headers: HTTPHeaders, validators: FileValidators) -> Plan {
        // Most requests carry none of the six fields: one pass over the names' lengths and
        // first letters (a superset of the six) answers them, instead of six lookups by name.
        guard headers.contains(where: { Self.mayBeCondition($0.name) }) else { return .full }
        let ifMatch = headers[canonicalForm: "if-match"]
        if !ifMatch.isEmpty {
            if !Self.matches(ifMatch, etag: validators.etag, weak: false) { return .preconditionFailed }
        } else if let value = headers.first(name: "if-unmodified-since"), let date = HTTPDate.parse(value),
            validators.lastModified > date
        {
            return .preconditionFailed
        }
        let ifNoneMatch = headers[canonicalForm: "if-none-match"]
        if !ifNoneMatch.isEmpty {
            if Self.matches(ifNoneMatch, etag: validators.etag, weak: true) {
                return method == .GET || method == .HEAD ? .notModified : .preconditionFailed
            }
        } else if method == .GET || method == .HEAD, let value = headers.first(name: "if-modified-since"),
            let date = HTTPDate.parse(value), validators.lastModified <= date
        {
            return .notModified
        }
        guard method == .GET, let range = headers.first(name: "range") else { return .full }
        if let ifRange = headers.first(name: "if-range"), !Self.ifRangeHolds(ifRange, validators) {
            return .full
        }
        switch ByteRange.parse(range, size: validators.size) {
        case .ignored: return .full
        case .unsatisfiable: return .unsatisfiable
        case .range(let offset, let length): return .partial(offset: offset, length: length)
        }
    }

    /// Whether `name` may be `If-Match`, `If-None-Match`, `If-Modified-Since`,
    /// `If-Unmodified-Since`, `If-Range` or `Range` (by length and first letter, any case).
    @inline(__always)
    private static func mayBeCondition(_ name: String) -> Bool {
        let utf8 = name.utf8
        switch (utf8.count, utf8.first.map { $0 | 0x20 }) {
        case (5, UInt8(ascii: "r")?), (8, UInt8(ascii: "i")?), (13, UInt8(ascii: "i")?), (17, UInt8(ascii: "i")?), (19, UInt8(ascii: "i")?):
            return true
        default:
            return false
        }
    }

    /// Whether any entity tag in `values` (a list, or `*`) matches `etag`: by the weak comparison
    /// (the opaque tags are equal, `W/` ignored) or the strong one (neither weak, equal).
    static func matches(_ values: [Substring], etag: String, weak: Bool) -> Bool {
        for value in values {
            for element in value.split(separator: ",") {
                var tag = element.trimmingSpaces()
                if tag == "*" { return true }
                if tag.hasPrefix("W/") {
                    guard weak else { continue }
                    tag = tag.dropFirst(2)
                }
                if tag == etag { return true }
            }
        }
        return false
    }

    /// `If-Range` holds when it is the strong `ETag` itself, or exactly the `Last-Modified` date.
    static func ifRangeHolds(_ value: String, _ validators: FileValidators) -> Bool {
        let trimmed = value.trimmingSpaces()
        if trimmed.hasPrefix("\"") || trimmed.hasPrefix("W/") {
            return trimmed == validators.etag
        }
        return HTTPDate.parse(String(trimmed)) == validators.lastModified
    }
}

/// A `Range` field's one byte range (RFC 9110 §14.1.2). Several ranges are answered with the
/// whole file (`200`), as §14.2 allows a server to ignore `Range`; a malformed field is ignored.
public enum ByteRange {
    public enum Outcome: Equatable, Sendable {
        case ignored
        case unsatisfiable
        case range(offset: Int64, length: Int64)
    }

    public static func parse(_ value: String, size: Int64) -> Outcome {
        let trimmed = value.trimmingSpaces()
        guard trimmed.lowercased().hasPrefix("bytes=") else { return .ignored }
        let spec = trimmed.dropFirst(6).trimmingSpaces()
        guard !spec.contains(",") else { return .ignored }
        let bounds = spec.split(separator: "-", maxSplits: 1, omittingEmptySubsequences: false)
        guard bounds.count == 2 else { return .ignored }
        let first = bounds[0].trimmingSpaces()
        let last = bounds[1].trimmingSpaces()
        func number(_ text: Substring) -> Int64? {
            guard !text.isEmpty, text.utf8.count <= 18, text.utf8.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
            return Int64(text)
        }
        if first.isEmpty {
            // A suffix: the last N bytes.
            guard let suffix = number(last) else { return .ignored }
            guard suffix > 0, size > 0 else { return .unsatisfiable }
            let length = min(suffix, size)
            return .range(offset: size - length, length: length)
        }
        guard let start = number(first) else { return .ignored }
        var end = size - 1
        if !last.isEmpty {
            guard let stated = number(last) else { return .ignored }
            guard stated >= start else { return .ignored }
            end = min(stated, size - 1)
        }
        guard start < size else { return .unsatisfiable }
        return .range(offset: start, length: end - start + 1)
    }
}
