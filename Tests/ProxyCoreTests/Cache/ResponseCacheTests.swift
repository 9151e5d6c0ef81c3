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
            self.loop.makePromise(of: ResponseCache.FillOutcome.self)
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

    /// The key: scheme, host lower-cased, target as it is; hosts that could make another URL's
    /// key are refused.
    @Test func keysAndKeyableHosts() {
        #expect(ResponseCache.key(scheme: "https", host: "Example.COM:8443", target: "/A/b?C=D") == "https://example.com:8443/A/b?C=D")
        #expect(ResponseCache.key(scheme: "http", host: nil, target: "/") == "http:///")
        #expect(ResponseCache.key(scheme: "http", host: "bücher.example", target: "/é") == "http://bücher.example/é")
        #expect(ResponseCache.isKeyableHost("127.0.0.1:18430") && ResponseCache.isKeyableHost("[::1]:80"))
        for host in ["", "example.com/account", "a?b", "a#b", "user@host", "a\\b", "a b", "bücher"] {
            #expect(!ResponseCache.isKeyableHost(host), "\(host)")
        }
    }

    @Test func aMissFillsThenHits() throws {
        let cache = self.cache()
        guard case .fill(let id, let stale, let varyMiss) = self.lookup(cache, "k") else { Issue.record("a miss fills"); return }
        #expect(stale == nil && !varyMiss)
        // A second miss waits; it is told when the fill stores.
        guard case .wait(let waiter) = self.lookup(cache, "k") else { Issue.record("the second waits"); return }
        var told: ResponseCache.FillOutcome?
        waiter.futureResult.assumeIsolated().whenSuccess { told = $0 }
        cache.finish("k", id: id, storing: self.response("k"))
        self.loop.run()
        #expect(told == .stored)
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
        var told: ResponseCache.FillOutcome?
        waiter.futureResult.assumeIsolated().whenSuccess { told = $0 }
        cache.finish("k", id: id, storing: nil)
        self.loop.run()
        #expect(told == .notStored)
        guard case .fill = self.lookup(cache, "k") else { Issue.record("the next miss fills again"); return }
    }

    @Test func aFillLetGoEndsStoringNothing() {
        let cache = self.cache()
        guard case .fill(let id, _, _) = self.lookup(cache, "k") else { Issue.record("fills"); return }
        guard case .wait(let waiter) = self.lookup(cache, "k") else { Issue.record("waits"); return }
        var told: ResponseCache.FillOutcome?
        waiter.futureResult.assumeIsolated().whenSuccess { told = $0 }
        do {
            _ = CacheFill(cache: cache, key: "k", id: id)
        }
        self.loop.run()
        #expect(told == .notStored)
    }

    /// A fill whose target failed tells its waiters so, and the stale response they may answer
    /// with is the one within `stale-if-error`, for their variant.
    @Test func aFailedFillTellsItsWaitersAndTheStaleResponseWithinStaleIfErrorAnswersThem() {
        let cache = self.cache()
        guard case .fill(let id, _, _) = self.lookup(cache, "k", now: 0) else { Issue.record("fills"); return }
        cache.finish("k", id: id, storing: self.response("k", fields: [("Cache-Control", "max-age=1, stale-if-error=10")]))
        guard case .fill(let refill, let stale?, _) = self.lookup(cache, "k", now: 2000) else { Issue.record("stale: fills again"); return }
        guard case .wait(let waiter) = self.lookup(cache, "k", now: 2000) else { Issue.record("waits"); return }
        var told: ResponseCache.FillOutcome?
        waiter.futureResult.assumeIsolated().whenSuccess { told = $0 }
        CacheFill(cache: cache, key: "k", id: refill).fail(status: 503)
        self.loop.run()
        #expect(told == .failed(status: 503))
        #expect(cache.staleOnError("k", requestFields: HTTPHeaders(), now: 2000).map { String(buffer: $0.body) } == String(buffer: stale.body))
        // Past max-age + stale-if-error: nothing to answer with.
        #expect(cache.staleOnError("k", requestFields: HTTPHeaders(), now: 11_000) == nil)
        #expect(cache.staleOnError("other", requestFields: HTTPHeaders(), now: 2000) == nil)
        // A failure that stored nothing else leaves the stale response in place.
        #expect(cache.statistics.objects == 1)
    }

    /// What the memory bound counts is what is held: a body's buffer (NIO's are powers of two:
    /// a 5,000-byte body holds 8 KiB, which the bound counted as 5,000, so it held up to twice
    /// `memory`) and its head's prepared lines, so that the bytes held never pass `memory`.
    /// A body in a slice of a larger buffer (a disk record's) is copied out of it.
    @Test func theMemoryBoundCountsWhatIsHeld() {
        func grown(_ count: Int) -> ByteBuffer {
            var body = ByteBuffer()
            for _ in 0..<count / 100 {
                body.writeString(String(repeating: "x", count: 100))
            }
            return body
        }
        #expect(grown(5000).storageCapacity >= 8192)  // as a capture grows it
        let memory = 20_000
        let cache = self.cache(memory: memory)
        var held: [String: Int] = [:]
        for index in 0..<10 {
            let key = "k\(index)"
            guard case .fill(let id, _, _) = self.lookup(cache, key) else { Issue.record("fills"); return }
            var response = self.response(key)
            response.body = grown(5000)
            cache.finish(key, id: id, storing: response)
            held[key] = nil
            for stored in 0...index {
                if case .hit(let kept, _, _) = self.lookup(cache, "k\(stored)", fills: false) {
                    #expect(kept.body.storageCapacity == 8192 && kept.body.readableBytes == 5000)
                    #expect(kept.prepared != nil)
                    held["k\(stored)"] = kept.body.storageCapacity + (kept.prepared?.size ?? 0)
                } else {
                    held["k\(stored)"] = nil
                }
            }
            #expect(held.values.reduce(0, +) <= memory, "\(held)")
            #expect(cache.statistics.bytes <= memory)
        }
        // Two of about 8.4 KB held fit in 20 KB (three were kept before); the others were evicted.
        #expect(cache.statistics.objects == 2 && held.count == 2 && cache.statistics.evictions == 8)
        // A slice of a larger buffer is copied out: what is held is the body's own buffer.
        var record = ByteBuffer(string: String(repeating: "h", count: 3000))
        record.writeString(String(repeating: "b", count: 1000))
        var sliced = self.response("s")
        sliced.body = record.getSlice(at: 3000, length: 1000)!
        #expect(sliced.body.storageCapacity == 4096)
        let kept = sliced.forStorage()
        #expect(kept.body.storageCapacity == 1024 && String(buffer: kept.body) == String(repeating: "b", count: 1000))
        #expect(kept.size < sliced.size)
        // A response larger than the whole bound is not kept, and what it replaces goes.
        let tiny = self.cache(memory: 1000)
        guard case .fill(let first, _, _) = self.lookup(tiny, "a") else { return }
        tiny.finish("a", id: first, storing: self.response("a"))
        #expect(tiny.statistics.objects == 1)
        guard case .fill(let second, _, _) = self.lookup(tiny, "a", refresh: true) else { Issue.record("refresh fills"); return }
        var large = self.response("a")
        large.body = grown(900)
        tiny.finish("a", id: second, storing: large)
        #expect(tiny.statistics.objects == 0 && tiny.statistics.bytes == 0)
    }

    /// A response within `max_object` (≤ `memory`) is kept even when NIO's buffer for it, rounded
    /// up to a power of two, is larger than the bound: it evicts every other one, never itself.
    @Test func aResponseOverHalfTheBoundIsKeptAlone() {
        let memory = 10_000
        let cache = self.cache(memory: memory, maxObject: memory)
        guard case .fill(let small, _, _) = self.lookup(cache, "small") else { Issue.record("fills"); return }
        cache.finish("small", id: small, storing: self.response("small"))
        guard case .fill(let id, _, _) = self.lookup(cache, "big") else { Issue.record("fills"); return }
        let body = String(repeating: "x", count: 9000)
        cache.finish("big", id: id, storing: self.response("big", body: body))
        guard case .hit(let kept, _, _) = self.lookup(cache, "big", fills: false) else {
            Issue.record("a 9,000-byte body in a 10,000-byte cache is a hit")
            return
        }
        #expect(String(buffer: kept.body) == body && kept.body.storageCapacity == 16384)
        #expect(cache.statistics.objects == 1 && cache.statistics.evictions == 1)
        if case .hit = self.lookup(cache, "small", fills: false) { Issue.record("the smaller one was evicted") }
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
