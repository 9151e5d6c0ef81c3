/// An event loop's ``StaticFileCache``s, one per static route of the configuration in force
/// (``ProxyLoop/staticFiles``). A route is known by its ``StaticSite/identity``, made afresh for
/// every configuration, so a reload starts with empty caches and no lookup made under an old
/// `root` or rule set is ever reused.
///
/// > Important: Touched only on its event loop; no locks.
final class StaticFileCacheRegistry {
    /// A reference: looking an entry up copies it out of the dictionary, and a copy of a value
    /// entry (the whole cache) cost ~700 instructions per request.
    private final class Entry {
        /// Weak: the site of a replaced configuration goes away, and with it any chance that a
        /// new site at the same address is taken for it.
        weak var identity: StaticSite.Identity?
        var cache: StaticFileCache

        init(identity: StaticSite.Identity, cache: StaticFileCache) {
            self.identity = identity
            self.cache = cache
        }
    }

    private var entries: [ObjectIdentifier: Entry] = [:]

    /// Runs `body` on `site`'s cache on this loop, made on first use (sites of replaced
    /// configurations are forgotten then).
    func withCache<Result>(for site: StaticSite, _ body: (inout StaticFileCache) -> Result) -> Result {
        let id = ObjectIdentifier(site.identity)
        if let entry = self.entries[id], entry.identity === site.identity {
            return body(&entry.cache)
        }
        self.entries = self.entries.filter { $0.value.identity != nil && $0.key != id }
        let entry = Entry(
            identity: site.identity,
            cache: StaticFileCache(validity: site.cacheValid, maxEntries: site.cacheEntries, maxBytes: site.cacheBytes)
        )
        self.entries[id] = entry
        return body(&entry.cache)
    }

    var count: Int { self.entries.count }
}
