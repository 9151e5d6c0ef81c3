public import ProxyDefaults

/// `routes[].cache`: the route's HTTP cache (docs/content.md, decision 0029). Off unless
/// written; `cache: true` is the defaults.
///
/// - `memory` (size, default 256MiB): the bytes of responses kept; the least recently used go first.
/// - `max_object` (size, default 8MiB): a larger response streams through and is not kept.
/// - `default_ttl` (duration, default `0s`): the freshness lifetime of a response that names
///   none, for a status cacheable by default.
/// - `purge.allow` (list of CIDRs, default loopback): the client addresses `PURGE` is taken from.
/// - `disk.path` (directory, absolute or relative to the configuration file; made when missing)
///   and `disk.size` (size, default 10GiB): the disk tier, kept across restarts.
public struct CacheConfiguration: Sendable, Hashable {
    public static let keys = ["memory", "max_object", "default_ttl", "purge", "disk"]
    public static let purgeKeys = ["allow"]
    public static let diskKeys = ["path", "size"]

    /// `cache.disk`: where and how many bytes of responses the disk tier keeps.
    public struct Disk: Sendable, Hashable {
        /// Absolute.
        public var path: String
        public var sizeBytes: Int

        public init(path: String, sizeBytes: Int = Defaults.Cache.diskBytes) {
            self.path = path
            self.sizeBytes = sizeBytes
        }
    }
    public static let bytesRange = 1...(1 << 40)

    public var memoryBytes: Int
    public var maxObjectBytes: Int
    public var defaultTTL: Duration
    public var purgeAllow: [CIDR]
    public var disk: Disk?

    public init(
        memoryBytes: Int = Defaults.Cache.memoryBytes,
        maxObjectBytes: Int = Defaults.Cache.maxObjectBytes,
        defaultTTL: Duration = .seconds(Defaults.Cache.defaultTTLSeconds),
        purgeAllow: [CIDR] = Defaults.Cache.purgeAllow.compactMap(CIDR.init),
        disk: Disk? = nil
    ) {
        self.disk = disk
        self.memoryBytes = memoryBytes
        self.maxObjectBytes = maxObjectBytes
        self.defaultTTL = defaultTTL
        self.purgeAllow = purgeAllow
    }
}
