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

    /// The codings of precompressed siblings, in the server's order of preference, with their
    /// file name extensions.
    public static let siblingCodings: [(coding: String, suffix: String)] = [("br", ".br"), ("zstd", ".zst"), ("gzip", ".gz")]

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
    }
}
