public import ProxyDefaults

/// A route action that serves files from a directory: the `static` block (docs/content.md).
///
/// Configuration keys:
/// - `root` (required): the directory served; it must exist and be a directory (`portcullis
///   check` says so). Relative paths are taken from the configuration file's directory.
/// - `index` (list of file names, default `[index.html]`).
/// - `try_files` (list of candidates, default `[$uri]`): `$uri` is the request's path; a
///   candidate such as `/index.html` makes a single-page-application fallback.
/// - `listing` (bool, default false), `cache_control` (string, sent as given; default none),
///   `precompressed` (bool, default true), `follow_symlinks` (bool, default false),
///   `dotfiles` (bool, default false).
/// - `cache_valid` (duration, default `1s`; `0` turns it off): how long each event loop reuses
///   a lookup (a small file's bytes, or "not found") before asking the file system again.
public struct StaticFilesConfiguration: Sendable, Hashable {
    public var root: String
    public var index: [String]
    public var tryFiles: [String]
    public var listing: Bool
    public var cacheControl: String?
    public var precompressed: Bool
    public var followSymlinks: Bool
    public var dotfiles: Bool
    public var cacheValid: Duration

    public init(
        root: String,
        index: [String] = Defaults.StaticFiles.index,
        tryFiles: [String] = Defaults.StaticFiles.tryFiles,
        listing: Bool = Defaults.StaticFiles.listing,
        cacheControl: String? = nil,
        precompressed: Bool = Defaults.StaticFiles.precompressed,
        followSymlinks: Bool = Defaults.StaticFiles.followSymlinks,
        dotfiles: Bool = Defaults.StaticFiles.dotfiles,
        cacheValid: Duration = Defaults.StaticFiles.cacheValid
    ) {
        self.root = root
        self.index = index
        self.tryFiles = tryFiles
        self.listing = listing
        self.cacheControl = cacheControl
        self.precompressed = precompressed
        self.followSymlinks = followSymlinks
        self.dotfiles = dotfiles
        self.cacheValid = cacheValid
    }
}
