public import NIOCore
public import NIOHTTP1

/// RFC 9111's rules for a shared cache, as pure functions: what a request may take from the
/// cache, whether a response may be stored, how long it is fresh, whether a stored response may
/// answer now, and how a `304` updates it (docs/content.md, decision 0029).
public enum CacheRules {
    /// What the cache does with a request.
    public enum RequestPlan: Equatable, Sendable {
        /// Look it up (and store its response when the rules allow).
        case lookup
        /// Forward it, but store what comes back when the rules allow (`no-cache`, `max-age=0`:
        /// the client wants a fresh answer).
        case refresh
        /// Neither looked up nor stored: the reason goes in `Cache-Status` (`detail=`).
        case bypass(String)
    }

    /// The request's plan: only `GET` and `HEAD` without a body use the cache; a `no-store`
    /// request bypasses it (§5.2.1.5); `no-cache` or `max-age=0` forwards it (§5.2.1.4, §5.2.1.1).
    public static func plan(method: HTTPMethod, hasBody: Bool, requestControl: CacheControl) -> RequestPlan {
        guard method == .GET || method == .HEAD else { return .bypass("method") }
        guard !hasBody else { return .bypass("request-body") }
        if requestControl.noStore { return .bypass("no-store") }
        if requestControl.noCache || requestControl.maxAge == 0 { return .refresh }
        return .lookup
    }

    /// Status codes whose responses are cacheable by default (RFC 9110 §15.1): a freshness
    /// lifetime may be guessed (``CacheConfiguration/defaultTTL``) for them.
    public static func isHeuristicallyCacheable(_ code: UInt) -> Bool {
        switch code {
        case 200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501: true
        default: false
        }
    }

    /// Why a response is not stored, or `nil` when it may be (§3, §3.5 for `Authorization`).
    /// `Set-Cookie`: never stored (decision 0029: the cookie belongs to one client, and a
    /// response stored without it would not be what the target sent).
    public static func refusal(
        method: HTTPMethod,
        status: HTTPResponseStatus,
        responseFields: HTTPHeaders,
        responseControl: CacheControl,
        requestHasAuthorization: Bool,
        defaultTTL: Int64
    ) -> String? {
        guard method == .GET else { return "method" }
        let code = status.code
        guard (200...599).contains(code), code != 206, code != 304 else { return "status" }
        if responseControl.noStore { return "no-store" }
        if responseControl.isPrivate { return "private" }
        if requestHasAuthorization, !(responseControl.isPublic || responseControl.sMaxAge != nil || responseControl.mustRevalidate) {
            return "authorization"
        }
        if responseFields.contains(name: "set-cookie") { return "set-cookie" }
        for line in responseFields[canonicalForm: "vary"] where line.split(separator: ",").contains(where: { $0.trimmingSpaces() == "*" }) {
            return "vary-star"
        }
        let explicit = responseControl.isPublic || responseControl.maxAge != nil || responseControl.sMaxAge != nil
            || responseFields.contains(name: "expires")
        guard explicit || Self.isHeuristicallyCacheable(code) else { return "status" }
        // Stored only when it can serve a request: fresh for a while, or revalidatable.
        let lifetime = Self.freshnessLifetime(status: status, fields: responseFields, control: responseControl, defaultTTL: defaultTTL)
        let validated = responseFields.contains(name: "etag") || responseFields.contains(name: "last-modified")
        if lifetime <= 0, !validated, (responseControl.staleWhileRevalidate ?? 0) == 0, (responseControl.staleIfError ?? 0) == 0 {
            return "no-lifetime"
        }
        return nil
    }

    /// The freshness lifetime in milliseconds (§4.2.1): `s-maxage`, else `max-age`, else
    /// `Expires` minus `Date`, else `defaultTTL` (ms) for a status cacheable by default.
    public static func freshnessLifetime(status: HTTPResponseStatus, fields: HTTPHeaders, control: CacheControl, defaultTTL: Int64) -> Int64 {
        if let sMaxAge = control.sMaxAge { return Int64(sMaxAge) * 1000 }
        if let maxAge = control.maxAge { return Int64(maxAge) * 1000 }
        if let expires = fields.first(name: "expires") {
            // An invalid `Expires` (such as `0`) means already expired (§5.3).
            guard let expiry = HTTPDate.parse(expires) else { return 0 }
            let date = fields.first(name: "date").flatMap(HTTPDate.parse)
            guard let date else { return 0 }
            return max(0, expiry - date) * 1000
        }
        return Self.isHeuristicallyCacheable(status.code) ? defaultTTL : 0
    }

    /// The `Age` field's seconds, within 0...2^31 (§5.1: larger is 2^31), so that its
    /// milliseconds cannot overflow.
    static func ageSeconds(_ fields: HTTPHeaders) -> Int64 {
        guard let value = fields.first(name: "age")?.trimmingSpaces(), !value.isEmpty,
              value.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") })
        else { return 0 }
        return min(Int64(value) ?? Int64(Int32.max), Int64(Int32.max))
    }

    /// Fields a cache does not store (§3.1): hop-by-hop ones and those `Connection` names;
    /// `Age` (recomputed) and `Content-Length` (the stored body's) too.
    static func storedFields(_ fields: HTTPHeaders) -> HTTPHeaders {
        var dropped: Set<String> = ["connection", "keep-alive", "proxy-connection", "te", "transfer-encoding", "upgrade", "trailer",
                                    "proxy-authenticate", "proxy-authentication-info", "age", "content-length"]
        for line in fields[canonicalForm: "connection"] {
            for name in line.split(separator: ",") { dropped.insert(name.trimmingSpaces().lowercased()) }
        }
        var kept = HTTPHeaders()
        for (name, value) in fields where !dropped.contains(name.lowercased()) {
            kept.add(name: name, value: value)
        }
        return kept
    }

    /// The response to keep: the target's head and body, the request's `Vary`ed values.
    public static func store(
        key: String,
        status: HTTPResponseStatus,
        responseFields: HTTPHeaders,
        body: ByteBuffer,
        requestFields: HTTPHeaders,
        requestTime: Int64,
        responseTime: Int64,
        defaultTTL: Int64
    ) -> StoredResponse {
        let control = CacheControl(responseFields)
        var varyNames: [String] = []
        for line in responseFields[canonicalForm: "vary"] {
            for name in line.split(separator: ",") {
                let lowered = name.trimmingSpaces().lowercased()
                if !lowered.isEmpty, !varyNames.contains(lowered) { varyNames.append(lowered) }
            }
        }
        let dateValue = responseFields.first(name: "date").flatMap(HTTPDate.parse).map { $0 * 1000 } ?? responseTime
        let ageValue = Self.ageSeconds(responseFields)
        var tags: [String] = []
        for name in ["cache-tag", "surrogate-key"] {
            for line in responseFields[canonicalForm: name] {
                tags += line.split(whereSeparator: { $0 == "," || $0 == " " }).map(String.init)
            }
        }
        // `must-revalidate`, `proxy-revalidate` and `s-maxage` all forbid serving stale (§5.2.2.2, .8, .10).
        let mustRevalidate = control.mustRevalidate || control.proxyRevalidate || control.sMaxAge != nil
        return StoredResponse(
            key: key,
            status: status,
            fields: Self.storedFields(responseFields),
            body: body,
            varyNames: varyNames,
            varyValues: varyNames.map { StoredResponse.varyValue($0, requestFields) },
            requestTime: requestTime,
            responseTime: responseTime,
            dateValue: dateValue,
            ageValue: ageValue,
            freshnessLifetime: Self.freshnessLifetime(status: status, fields: responseFields, control: control, defaultTTL: defaultTTL),
            staleWhileRevalidate: mustRevalidate ? 0 : Int64(control.staleWhileRevalidate ?? 0) * 1000,
            staleIfError: mustRevalidate ? 0 : Int64(control.staleIfError ?? 0) * 1000,
            noCache: control.noCache,
            mustRevalidate: mustRevalidate,
            tags: tags
        )
    }

    /// Whether a stored response may answer now, for a request with `requestControl`.
    public enum Freshness: Equatable, Sendable {
        /// Fresh: served as it is; the seconds it stays fresh (for `Cache-Status: ttl=`).
        case fresh(ttl: Int64)
        /// Stale, within `stale-while-revalidate`: served, and revalidated in the background.
        case staleWhileRevalidate
        /// Stale: revalidated (or, on an error within `stale-if-error`, served).
        case stale
    }

    public static func freshness(of stored: StoredResponse, now: Int64, requestControl: CacheControl) -> Freshness {
        let age = stored.currentAge(now: now)
        var lifetime = stored.freshnessLifetime
        if let maxAge = requestControl.maxAge { lifetime = min(lifetime, Int64(maxAge) * 1000) }
        if stored.noCache { return .stale }
        if age < lifetime { return .fresh(ttl: (lifetime - age) / 1000) }
        // Within the response's own stale-while-revalidate window (not one a request's max-age opened).
        if age >= stored.freshnessLifetime, age < stored.freshnessLifetime + stored.staleWhileRevalidate { return .staleWhileRevalidate }
        return .stale
    }

    /// Whether a stale response may answer a request whose forwarding failed (RFC 5861 §4).
    public static func servesOnError(_ stored: StoredResponse, now: Int64) -> Bool {
        stored.currentAge(now: now) < stored.freshnessLifetime + stored.staleIfError
    }

    /// The target answered a revalidation with `304`: its fields replace the stored ones of the
    /// same name, except `Content-Length` and what is not stored (§4.3.4, §3.2); the response is
    /// fresh again from the `304`'s times.
    public static func merge(
        _ stored: StoredResponse,
        notModified fields: HTTPHeaders,
        requestTime: Int64,
        responseTime: Int64,
        defaultTTL: Int64
    ) -> StoredResponse {
        let incoming = Self.storedFields(fields)
        var merged = stored.fields
        var replaced: Set<String> = []
        for (name, _) in incoming where !replaced.contains(name.lowercased()) {
            replaced.insert(name.lowercased())
            merged.remove(name: name)
        }
        for (name, value) in incoming {
            merged.add(name: name, value: value)
        }
        var refreshed = Self.store(
            key: stored.key,
            status: stored.status,
            responseFields: merged,
            body: stored.body,
            requestFields: HTTPHeaders(),
            requestTime: requestTime,
            responseTime: responseTime,
            defaultTTL: defaultTTL
        )
        // The variant stays the one it was (the `304`'s request selected it).
        refreshed.varyNames = stored.varyNames
        refreshed.varyValues = stored.varyValues
        refreshed.ageValue = Self.ageSeconds(fields)
        if !fields.contains(name: "date") {
            // A `304` without `Date`: its own arrival dates the refreshed response (the stored
            // `Date` would make it as old as before, stale again at once).
            refreshed.dateValue = responseTime
        }
        return refreshed
    }
}
