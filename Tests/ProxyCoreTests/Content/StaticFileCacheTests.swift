import Foundation
import NIOCore
import Testing

@testable import ProxyCore

/// The per-loop cache of static lookups: hits, expiry, its bounds, what it refuses to keep, and,
/// with the real resolver, a file changed or deleted on disk seen once the interval has passed.
/// Time is passed in (`NIODeadline`s made by the test), so nothing here waits on a clock.
struct StaticFileCacheTests {
    private static let start = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    private static func file(_ text: String) -> StaticLookup {
        .file(OpenedFile(
            descriptor: -1,
            validators: FileValidators(inode: 1, size: Int64(text.utf8.count), modifiedSeconds: 1, modifiedNanoseconds: 0),
            contentType: "text/plain",
            coding: nil,
            contents: ByteBuffer(string: text)
        ))
    }

    private static func text(_ lookup: StaticLookup?) -> String? {
        switch lookup {
        case .file(let file)?: return file.contents.map { String(buffer: $0) }
        case .notFound?: return "404"
        case .directoryRedirect?: return "301"
        case .listing?, .badRequest?: return "other"
        case nil: return nil
        }
    }

    private static func key(_ path: String, _ codings: [String] = []) -> StaticFileCache.Key {
        StaticFileCache.Key(path: path, codings: codings)
    }

    @Test func aHitWithinTheIntervalThenAMissAfterIt() {
        var cache = StaticFileCache(validity: .seconds(1), maxEntries: 8, maxBytes: 1024)
        #expect(cache.lookup(Self.key("/a"), now: Self.start) == nil)
        cache.store(Self.file("alpha"), for: Self.key("/a"), now: Self.start)
        cache.store(.notFound, for: Self.key("/missing"), now: Self.start)
        #expect(Self.text(cache.lookup(Self.key("/a"), now: Self.start)) == "alpha")
        #expect(Self.text(cache.lookup(Self.key("/a"), now: Self.start + .milliseconds(999))) == "alpha")
        #expect(Self.text(cache.lookup(Self.key("/missing"), now: Self.start + .milliseconds(500))) == "404")
        // Codings are part of the key: a client that takes br is not served the plain entry.
        #expect(cache.lookup(Self.key("/a", ["br"]), now: Self.start) == nil)
        // At the interval's end the entry is gone (the caller asks the resolver again).
        #expect(cache.lookup(Self.key("/a"), now: Self.start + .seconds(1)) == nil)
        #expect(cache.count == 1)
        #expect(cache.bytes == 0)
        #expect(cache.lookup(Self.key("/missing"), now: Self.start + .seconds(2)) == nil)
        #expect(cache.count == 0)
    }

    @Test func aNewAnswerReplacesTheOldOne() {
        var cache = StaticFileCache(validity: .seconds(1), maxEntries: 8, maxBytes: 1024)
        cache.store(Self.file("old"), for: Self.key("/a"), now: Self.start)
        cache.store(Self.file("newer"), for: Self.key("/a"), now: Self.start + .seconds(2))
        #expect(Self.text(cache.lookup(Self.key("/a"), now: Self.start + .seconds(2))) == "newer")
        #expect(cache.count == 1 && cache.bytes == 5)
        // An answer that cannot be kept drops the entry it would have replaced.
        cache.store(.listing("<ul></ul>"), for: Self.key("/a"), now: Self.start + .seconds(2))
        #expect(cache.lookup(Self.key("/a"), now: Self.start + .seconds(2)) == nil)
        #expect(cache.count == 0 && cache.bytes == 0)
    }

    @Test func keepsOnlyAnswersThatHoldNoDescriptor() {
        var cache = StaticFileCache(validity: .seconds(1), maxEntries: 8, maxBytes: 1024)
        let opened = StaticLookup.file(OpenedFile(
            descriptor: 7, validators: FileValidators(inode: 1, size: 100_000, modifiedSeconds: 1, modifiedNanoseconds: 0),
            contentType: "text/plain", coding: nil, contents: nil
        ))
        cache.store(opened, for: Self.key("/big"), now: Self.start)
        cache.store(.badRequest(.encodedSlash), for: Self.key("/a%2fb"), now: Self.start)
        cache.store(.listing("<ul></ul>"), for: Self.key("/dir/"), now: Self.start)
        #expect(cache.count == 0)
        // Zero validity (`cache_valid: 0`) keeps nothing.
        var off = StaticFileCache(validity: .zero, maxEntries: 8, maxBytes: 1024)
        off.store(Self.file("alpha"), for: Self.key("/a"), now: Self.start)
        #expect(off.count == 0 && off.lookup(Self.key("/a"), now: Self.start) == nil)
    }

    @Test func boundedInEntriesEvictingWhatWasNotUsed() {
        var cache = StaticFileCache(validity: .seconds(60), maxEntries: 4, maxBytes: 1 << 20)
        for index in 0..<4 {
            cache.store(Self.file("file \(index)"), for: Self.key("/\(index)"), now: Self.start)
        }
        // /0 and /2 are used; the next two stores evict the unused /1 and /3.
        #expect(cache.lookup(Self.key("/0"), now: Self.start) != nil)
        #expect(cache.lookup(Self.key("/2"), now: Self.start) != nil)
        cache.store(Self.file("file 4"), for: Self.key("/4"), now: Self.start)
        cache.store(Self.file("file 5"), for: Self.key("/5"), now: Self.start)
        #expect(cache.count == 4)
        #expect(cache.lookup(Self.key("/1"), now: Self.start) == nil)
        #expect(cache.lookup(Self.key("/3"), now: Self.start) == nil)
        for kept in ["/0", "/2", "/4", "/5"] {
            #expect(cache.lookup(Self.key(kept), now: Self.start) != nil, "\(kept)")
        }
        // Many more stores never grow it past the bound.
        for index in 6..<200 {
            cache.store(Self.file("file \(index)"), for: Self.key("/\(index)"), now: Self.start)
            #expect(cache.count <= 4)
        }
        #expect(cache.count == 4)
    }

    @Test func boundedInBytes() {
        var cache = StaticFileCache(validity: .seconds(60), maxEntries: 100, maxBytes: 10)
        cache.store(Self.file("aaaa"), for: Self.key("/a"), now: Self.start)
        cache.store(Self.file("bbbb"), for: Self.key("/b"), now: Self.start)
        #expect(cache.bytes == 8)
        cache.store(Self.file("cccc"), for: Self.key("/c"), now: Self.start)
        #expect(cache.bytes <= 10 && cache.count == 2)
        #expect(cache.lookup(Self.key("/c"), now: Self.start) != nil)
        // A file larger than the whole budget is not kept, and evicts nothing.
        cache.store(Self.file("a file of more than ten bytes"), for: Self.key("/big"), now: Self.start)
        #expect(cache.lookup(Self.key("/big"), now: Self.start) == nil)
        #expect(cache.count == 2 && cache.bytes == 8)
    }

    /// The resolver and the cache as the session uses them: a miss asks the resolver and stores
    /// its answer; a file changed, then deleted, on disk is served as it was until the interval
    /// has passed, then as it is.
    @Test func aChangedThenDeletedFileIsSeenAfterTheInterval() throws {
        let tree = try StaticFileResolverTests.Tree()
        let site = StaticSite(root: tree.root)
        let resolver = StaticFileResolver(site: site)
        var cache = StaticFileCache(validity: site.cacheValid, maxEntries: site.cacheEntries, maxBytes: site.cacheBytes)
        func serve(_ path: String, at now: NIODeadline) -> String? {
            let key = StaticFileCache.Key(path: path, codings: [])
            if let cached = cache.lookup(key, now: now) { return Self.text(cached) }
            let lookup = resolver.resolve(path: path, codings: [], readsSmallFiles: true)
            cache.store(lookup, for: key, now: now)
            return Self.text(lookup)
        }
        #expect(site.cacheValid == .seconds(1))
        #expect(serve("/about.html", at: Self.start) == "about")
        try "about, rewritten".write(toFile: tree.root + "/about.html", atomically: true, encoding: .utf8)
        #expect(serve("/about.html", at: Self.start + .milliseconds(500)) == "about")
        #expect(serve("/about.html", at: Self.start + .seconds(1)) == "about, rewritten")
        try FileManager.default.removeItem(atPath: tree.root + "/about.html")
        #expect(serve("/about.html", at: Self.start + .milliseconds(1500)) == "about, rewritten")
        #expect(serve("/about.html", at: Self.start + .seconds(2)) == "404")
        // "Not found" is cached too, and a file created later is seen after the interval.
        try "back".write(toFile: tree.root + "/about.html", atomically: true, encoding: .utf8)
        #expect(serve("/about.html", at: Self.start + .milliseconds(2500)) == "404")
        #expect(serve("/about.html", at: Self.start + .seconds(3)) == "back")
        // A refused path is never stored: each request is refused by the resolver itself.
        #expect(serve("/.env", at: Self.start) == "404")
        #expect(serve("/link-out", at: Self.start) == "404")
    }

    @Test func theRegistryGivesEachSiteItsOwnCacheAndForgetsReplacedOnes() {
        let registry = StaticFileCacheRegistry()
        let first = StaticSite(root: "/nonexistent-a")
        let second = StaticSite(root: "/nonexistent-b")
        registry.withCache(for: first) { $0.store(Self.file("first"), for: Self.key("/a"), now: Self.start) }
        #expect(registry.withCache(for: second) { $0.lookup(Self.key("/a"), now: Self.start) } == nil)
        #expect(Self.text(registry.withCache(for: first) { $0.lookup(Self.key("/a"), now: Self.start) }) == "first")
        // A copy of a site is the same site; a new one (a reload) starts empty.
        let copy = first
        #expect(Self.text(registry.withCache(for: copy) { $0.lookup(Self.key("/a"), now: Self.start) }) == "first")
        let reloaded = StaticSite(root: "/nonexistent-a")
        #expect(registry.withCache(for: reloaded) { $0.lookup(Self.key("/a"), now: Self.start) } == nil)
        #expect(registry.count == 3)
        // A site that went away (its configuration was replaced) is forgotten when another is seen.
        do {
            let gone = StaticSite(root: "/nonexistent-c")
            registry.withCache(for: gone) { $0.store(Self.file("gone"), for: Self.key("/a"), now: Self.start) }
        }
        #expect(registry.count == 4)
        let later = StaticSite(root: "/nonexistent-d")
        #expect(registry.withCache(for: later) { $0.lookup(Self.key("/a"), now: Self.start) } == nil)
        #expect(registry.count == 4)
    }
}
