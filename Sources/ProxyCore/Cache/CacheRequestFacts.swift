import NIOHTTP1

/// What the cache needs to know of a request's fields, read in one pass over them (a lookup
/// by name per field scanned them all each time: seven scans per hit).
struct CacheRequestFacts: Equatable, Sendable {
    /// The first `Host` value.
    var host: String?
    var hasCacheControl = false
    var hasRange = false
    var hasIfNoneMatch = false
    var hasIfModifiedSince = false

    init(_ fields: HTTPHeaders) {
        for (name, value) in fields {
            switch name.utf8.count {
            case 4:
                if self.host == nil, HeaderName.equals(name, "host") { self.host = value }
            case 5:
                if HeaderName.equals(name, "range") { self.hasRange = true }
            case 13:
                if HeaderName.equals(name, "cache-control") {
                    self.hasCacheControl = true
                } else if HeaderName.equals(name, "if-none-match") {
                    self.hasIfNoneMatch = true
                }
            case 17:
                if HeaderName.equals(name, "if-modified-since") { self.hasIfModifiedSince = true }
            default:
                break
            }
        }
    }

    /// The request states conditions of its own (its `304` would be its own answer).
    var isConditional: Bool { self.hasIfNoneMatch || self.hasIfModifiedSince }
}
