import NIOCore
import NIOHTTP1
import Testing

@testable import ProxyCore

/// RFC 9111's shared-cache rules (``CacheRules``, ``CacheControl``), one by one.
struct CacheRulesTests {
    private let date = "Mon, 01 Jan 2024 00:00:00 GMT"
    private let dateSeconds: Int64 = 1_704_067_200

    private func refusal(
        _ fields: [(String, String)],
        status: HTTPResponseStatus = .ok,
        method: HTTPMethod = .GET,
        authorization: Bool = false,
        defaultTTL: Int64 = 0
    ) -> String? {
        let headers = HTTPHeaders(fields)
        return CacheRules.refusal(
            method: method,
            status: status,
            responseFields: headers,
            responseControl: CacheControl(headers),
            requestHasAuthorization: authorization,
            defaultTTL: defaultTTL
        )
    }

    @Test func directivesAreRead() {
        let control = CacheControl(HTTPHeaders([
            ("Cache-Control", "Public, max-age=60, s-maxage=\"30\""),
            ("cache-control", "no-cache=\"Set-Cookie\", stale-while-revalidate=5, stale-if-error=7, must-revalidate"),
        ]))
        #expect(control.isPublic && control.noCache && control.mustRevalidate)
        #expect(control.maxAge == 60 && control.sMaxAge == 30)
        #expect(control.staleWhileRevalidate == 5 && control.staleIfError == 7)
        #expect(!control.noStore && !control.isPrivate)
        // An invalid max-age makes the response stale (§4.2.1).
        #expect(CacheControl(HTTPHeaders([("Cache-Control", "max-age=soon")])).maxAge == 0)
        #expect(CacheControl(HTTPHeaders([("Cache-Control", "max-age=99999999999999999999")])).maxAge == Int(Int32.max))
        #expect(CacheControl(HTTPHeaders([("Cache-Control", "only-if-cached, private=\"x\"")])).onlyIfCached)
    }

    @Test func requestPlans() {
        #expect(CacheRules.plan(method: .GET, hasBody: false, requestControl: CacheControl()) == .lookup)
        #expect(CacheRules.plan(method: .HEAD, hasBody: false, requestControl: CacheControl()) == .lookup)
        #expect(CacheRules.plan(method: .POST, hasBody: false, requestControl: CacheControl()) == .bypass("method"))
        #expect(CacheRules.plan(method: .GET, hasBody: true, requestControl: CacheControl()) == .bypass("request-body"))
        var control = CacheControl()
        control.noStore = true
        #expect(CacheRules.plan(method: .GET, hasBody: false, requestControl: control) == .bypass("no-store"))
        control = CacheControl()
        control.noCache = true
        #expect(CacheRules.plan(method: .GET, hasBody: false, requestControl: control) == .refresh)
        control = CacheControl()
        control.maxAge = 0
        #expect(CacheRules.plan(method: .GET, hasBody: false, requestControl: control) == .refresh)
    }

    @Test func storableResponses() {
        #expect(self.refusal([("Cache-Control", "max-age=60")]) == nil)
        #expect(self.refusal([("Cache-Control", "s-maxage=60")]) == nil)
        #expect(self.refusal([("Date", self.date), ("Expires", "Mon, 01 Jan 2024 00:01:00 GMT")]) == nil)
        #expect(self.refusal([("Cache-Control", "public, max-age=60")], status: .found) == nil)
        // Revalidatable without a lifetime.
        #expect(self.refusal([("ETag", "\"a\"")]) == nil)
        #expect(self.refusal([("Last-Modified", self.date)]) == nil)
        #expect(self.refusal([("Cache-Control", "no-cache"), ("ETag", "\"a\"")]) == nil)
        // A status cacheable by default with default_ttl.
        #expect(self.refusal([], defaultTTL: 10_000) == nil)
        #expect(self.refusal([], status: .notFound, defaultTTL: 10_000) == nil)
    }

    @Test func refusedResponses() {
        #expect(self.refusal([("Cache-Control", "no-store, max-age=60")]) == "no-store")
        #expect(self.refusal([("Cache-Control", "private, max-age=60")]) == "private")
        #expect(self.refusal([("Cache-Control", "private, s-maxage=60")]) == "private")
        #expect(self.refusal([("Cache-Control", "max-age=60"), ("Set-Cookie", "a=b")]) == "set-cookie")
        #expect(self.refusal([("Cache-Control", "max-age=60"), ("Vary", "Accept, *")]) == "vary-star")
        #expect(self.refusal([("Cache-Control", "max-age=60")], status: .partialContent) == "status")
        #expect(self.refusal([("Cache-Control", "max-age=60")], status: .notModified) == "status")
        #expect(self.refusal([("Cache-Control", "max-age=60")], method: .HEAD) == "method")
        #expect(self.refusal([("Cache-Control", "max-age=60")], method: .POST) == "method")
        // Not cacheable by default, no explicit freshness.
        #expect(self.refusal([], status: .found, defaultTTL: 10_000) == "status")
        #expect(self.refusal([], status: .internalServerError, defaultTTL: 10_000) == "status")
        // Nothing to serve it by.
        #expect(self.refusal([]) == "no-lifetime")
        #expect(self.refusal([("Cache-Control", "max-age=0")]) == "no-lifetime")
        #expect(self.refusal([("Date", self.date), ("Expires", "0")]) == "no-lifetime")
    }

    @Test func authorizationNeedsPublicSMaxAgeOrMustRevalidate() {
        #expect(self.refusal([("Cache-Control", "max-age=60")], authorization: true) == "authorization")
        #expect(self.refusal([("Cache-Control", "public, max-age=60")], authorization: true) == nil)
        #expect(self.refusal([("Cache-Control", "s-maxage=60")], authorization: true) == nil)
        #expect(self.refusal([("Cache-Control", "must-revalidate, max-age=60")], authorization: true) == nil)
    }

    @Test func freshnessLifetimeOrder() {
        func lifetime(_ fields: [(String, String)], status: HTTPResponseStatus = .ok, defaultTTL: Int64 = 0) -> Int64 {
            let headers = HTTPHeaders(fields)
            return CacheRules.freshnessLifetime(status: status, fields: headers, control: CacheControl(headers), defaultTTL: defaultTTL)
        }
        #expect(lifetime([("Cache-Control", "max-age=10, s-maxage=20")]) == 20_000)
        #expect(lifetime([("Cache-Control", "max-age=10"), ("Expires", "Mon, 01 Jan 2024 00:01:00 GMT"), ("Date", self.date)]) == 10_000)
        #expect(lifetime([("Expires", "Mon, 01 Jan 2024 00:01:00 GMT"), ("Date", self.date)]) == 60_000)
        #expect(lifetime([("Expires", "Sun, 31 Dec 2023 00:00:00 GMT"), ("Date", self.date)]) == 0)
        #expect(lifetime([], defaultTTL: 5000) == 5000)
        #expect(lifetime([], status: .found, defaultTTL: 5000) == 0)
    }

    private func stored(_ fields: [(String, String)], requestFields: [(String, String)] = [], requestTime: Int64, responseTime: Int64) -> StoredResponse {
        CacheRules.store(
            key: "http://a/x",
            status: .ok,
            responseFields: HTTPHeaders(fields),
            body: ByteBuffer(string: "body"),
            requestFields: HTTPHeaders(requestFields),
            requestTime: requestTime,
            responseTime: responseTime,
            defaultTTL: 0
        )
    }

    @Test func ageFollowsSection423() {
        let now = self.dateSeconds * 1000
        // Date 3 s before the response came, Age 5 from an upstream cache, 1 s in flight.
        let response = self.stored(
            [("Date", self.date), ("Age", "5"), ("Cache-Control", "max-age=60")],
            requestTime: now + 2000,
            responseTime: now + 3000
        )
        // corrected_age_value = 5 s + 1 s; apparent_age = 3 s: the larger, 6 s; plus 4 s resident.
        #expect(response.currentAge(now: now + 7000) == 10_000)
        #expect(CacheRules.freshness(of: response, now: now + 7000, requestControl: CacheControl()) == .fresh(ttl: 50))
        #expect(CacheRules.freshness(of: response, now: now + 57_000, requestControl: CacheControl()) == .stale)
        // A request's max-age lowers the lifetime.
        var control = CacheControl()
        control.maxAge = 5
        #expect(CacheRules.freshness(of: response, now: now + 7000, requestControl: control) == .stale)
        // Age, Content-Length, hop-by-hop and Connection-named fields are not stored.
        let withHopByHop = self.stored(
            [("Cache-Control", "max-age=60"), ("Connection", "x-private"), ("X-Private", "1"), ("Keep-Alive", "5"), ("Content-Length", "4"), ("X-Kept", "1")],
            requestTime: now,
            responseTime: now
        )
        #expect(withHopByHop.fields.map(\.name) == ["Cache-Control", "X-Kept"])
    }

    /// Numbers past 2^31 (from a client or a target) are 2^31 (§1.2.2): no millisecond sum
    /// made of them overflows.
    @Test func hugeNumbersAreCappedNotTrapped() {
        let huge = CacheControl(HTTPHeaders([("Cache-Control", "max-age=9999999999999999, s-maxage=99999999999999999999, stale-if-error=9999999999999999")]))
        #expect(huge.maxAge == Int(Int32.max) && huge.sMaxAge == Int(Int32.max) && huge.staleIfError == Int(Int32.max))
        let now = self.dateSeconds * 1000
        let response = self.stored(
            [("Cache-Control", "max-age=9999999999999999, stale-while-revalidate=9999999999999999, stale-if-error=9999999999999999"),
             ("Age", "9223372036854775807")],
            requestTime: now,
            responseTime: now
        )
        #expect(response.ageValue == Int64(Int32.max))
        var control = CacheControl()
        control.maxAge = huge.maxAge
        _ = CacheRules.freshness(of: response, now: now, requestControl: control)
        _ = CacheRules.servesOnError(response, now: now)
        #expect(CacheRules.ageSeconds(HTTPHeaders([("Age", "-5")])) == 0)
        #expect(CacheRules.ageSeconds(HTTPHeaders([("Age", "12")])) == 12)
    }

    /// A `Host` that is not `uri-host[:port]` cannot go into a key (it would name another URL).
    @Test func onlyPlainHostsMakeKeys() {
        #expect(ResponseCache.isKeyableHost("example.com"))
        #expect(ResponseCache.isKeyableHost("Example.COM:8443"))
        #expect(ResponseCache.isKeyableHost("[::1]:443"))
        for bad in ["example.com/account", "example.com?x", "a@example.com", "example.com#x", "ex ample.com", "example.com\\x", ""] {
            #expect(!ResponseCache.isKeyableHost(bad), "\(bad)")
        }
    }

    @Test func staleWindows() {
        let now: Int64 = 1_000_000
        let response = self.stored([("Cache-Control", "max-age=10, stale-while-revalidate=20, stale-if-error=60")], requestTime: now, responseTime: now)
        #expect(CacheRules.freshness(of: response, now: now + 9_000, requestControl: CacheControl()) == .fresh(ttl: 1))
        #expect(CacheRules.freshness(of: response, now: now + 11_000, requestControl: CacheControl()) == .staleWhileRevalidate)
        #expect(CacheRules.freshness(of: response, now: now + 31_000, requestControl: CacheControl()) == .stale)
        #expect(CacheRules.servesOnError(response, now: now + 69_000))
        #expect(!CacheRules.servesOnError(response, now: now + 71_000))
        // must-revalidate forbids both.
        let strict = self.stored([("Cache-Control", "max-age=10, must-revalidate, stale-while-revalidate=20, stale-if-error=60")], requestTime: now, responseTime: now)
        #expect(CacheRules.freshness(of: strict, now: now + 11_000, requestControl: CacheControl()) == .stale)
        #expect(!CacheRules.servesOnError(strict, now: now + 11_000))
        // no-cache: always revalidated.
        let noCache = self.stored([("Cache-Control", "no-cache"), ("ETag", "\"a\"")], requestTime: now, responseTime: now)
        #expect(CacheRules.freshness(of: noCache, now: now, requestControl: CacheControl()) == .stale)
    }

    @Test func varySelectsByTheNamedFields() {
        let response = self.stored(
            [("Cache-Control", "max-age=60"), ("Vary", "Accept-Language, accept-encoding")],
            requestFields: [("Accept-Language", "en, fr"), ("X-Other", "1")],
            requestTime: 0,
            responseTime: 0
        )
        #expect(response.varyNames == ["accept-language", "accept-encoding"])
        #expect(response.matchesVary(HTTPHeaders([("accept-language", "en,fr")])))
        #expect(response.matchesVary(HTTPHeaders([("Accept-Language", "en"), ("Accept-Language", "fr"), ("X-Other", "2")])))
        #expect(!response.matchesVary(HTTPHeaders([("Accept-Language", "fr")])))
        #expect(!response.matchesVary(HTTPHeaders([("Accept-Language", "en, fr"), ("Accept-Encoding", "gzip")])))
    }

    @Test func aNotModifiedUpdatesTheStoredFields() {
        let response = self.stored(
            [("Cache-Control", "max-age=1"), ("ETag", "\"a\""), ("X-Version", "1"), ("Content-Type", "text/plain"), ("Cache-Tag", "red blue")],
            requestTime: 0,
            responseTime: 0
        )
        let merged = CacheRules.merge(
            response,
            notModified: HTTPHeaders([("Cache-Control", "max-age=30"), ("X-Version", "2"), ("Content-Length", "0"), ("Connection", "close")]),
            requestTime: 5000,
            responseTime: 5000,
            defaultTTL: 0
        )
        #expect(merged.fields.first(name: "x-version") == "2")
        #expect(merged.fields[canonicalForm: "x-version"].count == 1)
        #expect(merged.fields.first(name: "content-type") == "text/plain")
        #expect(merged.fields.first(name: "etag") == "\"a\"")
        #expect(!merged.fields.contains(name: "content-length") && !merged.fields.contains(name: "connection"))
        #expect(merged.body == response.body)
        #expect(merged.freshnessLifetime == 30_000)
        #expect(merged.tags == ["red", "blue"])
        #expect(CacheRules.freshness(of: merged, now: 6000, requestControl: CacheControl()) == .fresh(ttl: 29))
        // The stored `Date` was the response's; a `304` without one dates the refreshed response.
        let dated = self.stored([("Date", self.date), ("Cache-Control", "max-age=10"), ("ETag", "\"b\"")], requestTime: 0, responseTime: self.dateSeconds * 1000)
        let later = self.dateSeconds * 1000 + 60_000
        let refreshed = CacheRules.merge(dated, notModified: HTTPHeaders([("ETag", "\"b\"")]), requestTime: later, responseTime: later, defaultTTL: 0)
        #expect(CacheRules.freshness(of: refreshed, now: later + 1000, requestControl: CacheControl()) == .fresh(ttl: 9))
    }

    @Test func cacheStatusFieldValues() {
        var hit = CacheStatus(hit: true)
        hit.ttl = 42
        #expect(hit.fieldValue == "portcullis; hit; ttl=42" && hit.result == "hit")
        var miss = CacheStatus(forward: .uriMiss)
        miss.stored = true
        #expect(miss.fieldValue == "portcullis; fwd=uri-miss; stored" && miss.result == "miss")
        var revalidated = CacheStatus(forward: .stale)
        revalidated.forwardStatus = 304
        #expect(revalidated.fieldValue == "portcullis; fwd=stale; fwd-status=304" && revalidated.result == "revalidated")
        var stale = CacheStatus(hit: true, forward: .stale)
        stale.detail = "stale-while-revalidate"
        #expect(stale.fieldValue == "portcullis; hit; fwd=stale; detail=stale-while-revalidate" && stale.result == "stale")
        var bypass = CacheStatus(forward: .bypass)
        bypass.detail = "no-store"
        #expect(bypass.fieldValue == "portcullis; fwd=bypass; detail=no-store" && bypass.result == "bypass")
    }
}
