import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import ProxyCore

/// The store (``ResponseCache``) and the fill table behind request collapsing (``CacheFillTable``).
struct ResponseCacheTests {
    private let loop = EmbeddedEventLoop()

    private func response(_ key: String, body: String = "body", fields: [(String, String)] = [("Cache-Control", "max-age=60")], requestFields: [(String, String)] = []) -> StoredResponse {
        CacheRules.store(
            key: key,
            status: .ok,
            responseFields: HTTPHeaders(fields),
            body: ByteBuffer(string: body),
            requestFields: HTTPHeaders(requestFields),
            requestTime: 0,
            responseTime: 0,
            defaultTTL: 0
        )
    }

    private func cache(memory: Int = 1 << 20, maxObject: Int = 1 << 16) -> ResponseCache {
        ResponseCache(settings: .init(memoryBytes: memory, maxObjectBytes: maxObject, defaultTTL: 0), purgeAllowed: { _ in true })
    }

    private func lookup(_ cache: ResponseCache, _ key: String, fields: [(String, String)] = [], refresh: Bool = false, fills: Bool = true, now: Int64 = 1000) -> ResponseCache.Lookup {
        cache.lookup(key, requestFields: HTTPHeaders(fields), requestControl: CacheControl(), refresh: refresh, fills: fills, now: now) {
            self.loop.makePromise(of: Bool.self)
        }
    }

    @Test func theFillTableCollapsesMissesForAKey() {
        var table = CacheFillTable<Int>()
        guard case .fill(let first) = table.begin("a", waiter: { 1 }) else { Issue.record("the first miss fills"); return }
        for waiter in 2...100 {
            guard case .wait(let made) = table.begin("a", waiter: { waiter }) else { Issue.record("later misses wait"); return }
            #expect(made == waiter)
        }
        // Another key fills on its own; a background revalidation only when nothing fills.
        guard case .fill(let other) = table.begin("b", waiter: { 0 }) else { Issue.record("another key fills"); return }
        #expect(table.beginIfIdle("a") == nil)
        #expect(table.finish("a", id: other) == [])
        #expect(table.finish("a", id: first) == Array(2...100))
        #expect(table.finish("a", id: first) == [])
        #expect(table.beginIfIdle("a") != nil)
        #expect(table.count == 2)
    }

    @Test func aMissFillsThenHits() throws {
        let cache = self.cache()
        guard case .fill(let id, let stale, let varyMiss) = self.lookup(cache, "k") else { Issue.record("a miss fills"); return }
        #expect(stale == nil && !varyMiss)
        // A second miss waits; it is told when the fill stores.
        guard case .wait(let waiter) = self.lookup(cache, "k") else { Issue.record("the second waits"); return }
        var told: Bool?
        waiter.futureResult.assumeIsolated().whenSuccess { told = $0 }
        cache.finish("k", id: id, storing: self.response("k"))
        self.loop.run()
        #expect(told == true)
        guard case .hit(let stored, .fresh(let ttl), nil) = self.lookup(cache, "k") else { Issue.record("then it hits"); return }
        #expect(String(buffer: stored.body) == "body" && ttl == 59)
        // HEAD-like lookups do not fill.
        guard case .miss(nil) = self.lookup(cache, "other", fills: false) else { Issue.record("no fill"); return }
        #expect(cache.statistics.objects == 1)
    }

    @Test func anUncacheableFillReleasesItsWaiters() {
        let cache = self.cache()
        guard case .fill(let id, _, _) = self.lookup(cache, "k") else { Issue.record("fills"); return }
        guard case .wait(let waiter) = self.lookup(cache, "k") else { Issue.record("waits"); return }
        var told: Bool?
        waiter.futureResult.assumeIsolated().whenSuccess { told = $0 }
        cache.finish("k", id: id, storing: nil)
        self.loop.run()
        #expect(told == false)
        guard case .fill = self.lookup(cache, "k") else { Issue.record("the next miss fills again"); return }
    }

    @Test func aFillLetGoEndsStoringNothing() {
        let cache = self.cache()
        guard case .fill(let id, _, _) = self.lookup(cache, "k") else { Issue.record("fills"); return }
        guard case .wait(let waiter) = self.lookup(cache, "k") else { Issue.record("waits"); return }
        var told: Bool?
        waiter.futureResult.assumeIsolated().whenSuccess { told = $0 }
        do {
            _ = CacheFill(cache: cache, key: "k", id: id)
        }
        self.loop.run()
        #expect(told == false)
    }

    @Test func staleResponsesAreRevalidatedOrServedWhileRevalidating() {
        let cache = self.cache()
        guard case .fill(let id, _, _) = self.lookup(cache, "k") else { return }
        cache.finish("k", id: id, storing: self.response("k", fields: [("Cache-Control", "max-age=1, stale-while-revalidate=10")]))
        // Within stale-while-revalidate: served, and one background fill is started.
        guard case .hit(_, .staleWhileRevalidate, let revalidate?) = self.lookup(cache, "k", now: 2000) else { Issue.record("served stale"); return }
        guard case .hit(_, .staleWhileRevalidate, nil) = self.lookup(cache, "k", now: 2000) else { Issue.record("only one revalidation"); return }
        cache.finish("k", id: revalidate, storing: nil)
        // Past it: the stale response goes with the fill, to revalidate.
        guard case .fill(_, let stale?, false) = self.lookup(cache, "k", now: 20_000) else { Issue.record("revalidated"); return }
        #expect(stale.key == "k")
    }

    @Test func varyVariantsAndVaryMisses() {
        let cache = self.cache()
        let fields = [("Cache-Control", "max-age=60"), ("Vary", "Accept-Language")]
        guard case .fill(let en, _, _) = self.lookup(cache, "k", fields: [("Accept-Language", "en")]) else { return }
        cache.finish("k", id: en, storing: self.response("k", body: "en", fields: fields, requestFields: [("Accept-Language", "en")]))
        guard case .fill(let fr, nil, true) = self.lookup(cache, "k", fields: [("Accept-Language", "fr")]) else { Issue.record("a vary miss"); return }
        cache.finish("k", id: fr, storing: self.response("k", body: "fr", fields: fields, requestFields: [("Accept-Language", "fr")]))
        guard case .hit(let english, _, _) = self.lookup(cache, "k", fields: [("Accept-Language", "en")]),
            case .hit(let french, _, _) = self.lookup(cache, "k", fields: [("Accept-Language", "fr")])
        else { Issue.record("both variants hit"); return }
        #expect(String(buffer: english.body) == "en" && String(buffer: french.body) == "fr")
        #expect(cache.statistics.objects == 1)
    }

    @Test func memoryIsBoundedLeastRecentlyUsedFirst() {
        let one = self.response("a", body: String(repeating: "x", count: 1000)).size
        let cache = self.cache(memory: one * 2 + one / 2)
        for key in ["a", "b"] {
            guard case .fill(let id, _, _) = self.lookup(cache, key) else { return }
            cache.finish(key, id: id, storing: self.response(key, body: String(repeating: "x", count: 1000)))
        }
        // "a" used last: "b" goes when "c" comes.
        guard case .hit = self.lookup(cache, "a") else { Issue.record("a hits"); return }
        guard case .fill(let c, _, _) = self.lookup(cache, "c") else { return }
        cache.finish("c", id: c, storing: self.response("c", body: String(repeating: "x", count: 1000)))
        guard case .hit = self.lookup(cache, "a") else { Issue.record("a kept"); return }
        guard case .hit = self.lookup(cache, "c") else { Issue.record("c kept"); return }
        guard case .fill(let b, _, _) = self.lookup(cache, "b") else { Issue.record("b evicted"); return }
        cache.finish("b", id: b, storing: nil)
        #expect(cache.statistics.evictions == 1 && cache.statistics.objects == 2 && cache.statistics.bytes <= one * 2 + one / 2)
        // Larger than max_object: not stored.
        let small = self.cache(maxObject: 10)
        guard case .fill(let id, _, _) = self.lookup(small, "k") else { return }
        small.finish("k", id: id, storing: self.response("k", body: String(repeating: "x", count: 11)))
        #expect(small.statistics.objects == 0)
    }

    @Test func purgeByKeyPrefixAndTag() {
        let cache = self.cache()
        let stored: [(String, [(String, String)])] = [
            ("http://h/assets/a.css", []),
            ("http://h/assets/b.js", [("Surrogate-Key", "js red")]),
            ("https://other/assetsX", [("Cache-Tag", "red,blue")]),
            ("http://h/page", []),
        ]
        for (key, extra) in stored {
            guard case .fill(let id, _, _) = self.lookup(cache, key) else { return }
            cache.finish(key, id: id, storing: self.response(key, fields: [("Cache-Control", "max-age=60")] + extra))
        }
        #expect(ResponseCache.path(of: "https://other/assetsX?x=1") == "/assetsX?x=1")
        #expect(cache.purge(pathPrefix: "/assets/") == 2)
        #expect(cache.purge(tag: "blue") == 1)
        #expect(cache.purge(key: "http://h/page") == 1)
        #expect(cache.purge(key: "http://h/page") == 0)
        #expect(cache.statistics.objects == 0 && cache.statistics.bytes == 0)
    }
}
