public import NIOCore
public import NIOPosix
public import ProxyDefaults

/// A static route's directory and how it is served (`routes[].static`, docs/content.md): the
/// runtime form of the configuration, with the root's real path worked out once.
public struct StaticSite: Sendable {
    /// The root as configured, and its real path (symbolic links resolved) that every served
    /// file's real path must lie under.
    public var root: String
    public var realRoot: String
    public var index: [String]
    public var tryFiles: [String]
    public var listing: Bool
    public var cacheControl: String?
    public var precompressed: Bool
    public var followSymlinks: Bool
    public var dotfiles: Bool
    /// Bytes read per chunk when the file cannot be handed to `sendfile` (TLS, HTTP/2).
    public var chunkBytes: Int
    /// Files up to this size are read whole by the lookup (decision 0028).
    public var inlineBytes: Int
    /// Where the file system is touched (lookups, opens, reads): never on an event loop.
    public var threadPool: NIOThreadPool
    /// `cache_valid`: how long each event loop reuses a lookup (``StaticFileCache``); zero: never.
    public var cacheValid: TimeAmount
    /// The bounds of each event loop's cache for this route.
    public var cacheEntries: Int
    public var cacheBytes: Int
    /// Made afresh with every site (every configuration): what the event loops' caches are
    /// kept under, so a reloaded route never sees an older one's lookups.
    public let identity = Identity()

    /// A static route's identity (compared by reference).
    public final class Identity: Sendable {
        public init() {}
    }

    /// The codings of precompressed siblings, in the server's order of preference, with their
    /// file name extensions.
    public static let siblingCodings: [(coding: ContentCoding, suffix: String)] = [(.br, ".br"), (.zstd, ".zst"), (.gzip, ".gz")]

    public init(
        root: String,
        index: [String] = Defaults.StaticFiles.index,
        tryFiles: [String] = Defaults.StaticFiles.tryFiles,
        listing: Bool = Defaults.StaticFiles.listing,
        cacheControl: String? = nil,
        precompressed: Bool = Defaults.StaticFiles.precompressed,
        followSymlinks: Bool = Defaults.StaticFiles.followSymlinks,
        dotfiles: Bool = Defaults.StaticFiles.dotfiles,
        chunkBytes: Int = Defaults.StaticFiles.chunkBytes,
        inlineBytes: Int = Defaults.StaticFiles.inlineBytes,
        cacheValid: Duration = Defaults.StaticFiles.cacheValid,
        cacheEntries: Int = Defaults.StaticFiles.cacheEntries,
        cacheBytes: Int = Defaults.StaticFiles.cacheBytes,
        threadPool: NIOThreadPool = .singleton
    ) {
        self.root = root
        self.realRoot = StaticFileResolver.realPath(root) ?? root
        self.index = index
        self.tryFiles = tryFiles
        self.listing = listing
        self.cacheControl = cacheControl
        self.precompressed = precompressed
        self.followSymlinks = followSymlinks
        self.dotfiles = dotfiles
        self.chunkBytes = chunkBytes
        self.inlineBytes = inlineBytes
        self.threadPool = threadPool
        let (seconds, attoseconds) = cacheValid.components
        self.cacheValid = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        self.cacheEntries = cacheEntries
        self.cacheBytes = cacheBytes
    }

    /// Whether lookups are cached (``cacheValid`` above zero).
    public var caches: Bool { self.cacheValid > .zero && self.cacheEntries > 0 }
}
