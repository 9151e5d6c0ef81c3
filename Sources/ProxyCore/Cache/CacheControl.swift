public import NIOHTTP1

/// The `Cache-Control` directives a shared cache acts on (RFC 9111 §5.2, RFC 5861), read from
/// every `Cache-Control` line of a request or a response. Pure.
///
/// Qualified `no-cache="Set-Cookie"` and `private="..."` read as their unqualified forms: the
/// stricter reading, which §5.2.2.4 and §5.2.2.7 allow. A directive whose argument is not a
/// non-negative number is ignored (§4.2.1: an invalid `max-age` makes the response stale, so
/// an invalid `max-age` or `s-maxage` reads as 0).
public struct CacheControl: Equatable, Sendable {
    public var noStore = false
    public var noCache = false
    public var isPrivate = false
    public var isPublic = false
    public var mustRevalidate = false
    public var proxyRevalidate = false
    public var onlyIfCached = false
    public var maxAge: Int?
    public var sMaxAge: Int?
    public var staleWhileRevalidate: Int?
    public var staleIfError: Int?

    public init() {}

    /// The directives of every `Cache-Control` line in `fields`.
    public init(_ fields: HTTPHeaders) {
        for line in fields[canonicalForm: "cache-control"] {
            for directive in line.split(separator: ",") {
                self.read(directive.trimmingSpaces())
            }
        }
    }

    private mutating func read(_ directive: Substring) {
        var name = directive
        var argument: Substring?
        if let equals = directive.firstIndex(of: "=") {
            name = directive[..<equals].trimmingSpaces()
            var value = directive[directive.index(after: equals)...].trimmingSpaces()
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 {
                value = value.dropFirst().dropLast()
            }
            argument = value
        }
        func seconds() -> Int? {
            guard let argument else { return nil }
            guard !argument.isEmpty, argument.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
            // A number beyond 2^31 is "infinity" for our purpose (§1.2.2), so that the
            // milliseconds made of it (and their sums) cannot overflow.
            return min(Int(argument) ?? Int(Int32.max), Int(Int32.max))
        }
        switch name.lowercased() {
        case "no-store": self.noStore = true
        case "no-cache": self.noCache = true
        case "private": self.isPrivate = true
        case "public": self.isPublic = true
        case "must-revalidate": self.mustRevalidate = true
        case "proxy-revalidate": self.proxyRevalidate = true
        case "only-if-cached": self.onlyIfCached = true
        case "max-age": self.maxAge = seconds() ?? 0
        case "s-maxage": self.sMaxAge = seconds() ?? 0
        case "stale-while-revalidate": self.staleWhileRevalidate = seconds()
        case "stale-if-error": self.staleIfError = seconds()
        default: break
        }
    }
}
