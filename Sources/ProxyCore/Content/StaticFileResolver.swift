#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
public import NIOCore

/// A file a static route will serve, opened: the descriptor (owned by whoever takes it), its
/// validators, its type and the coding of a precompressed sibling.
public struct OpenedFile: Sendable {
    /// `-1` when the file was small and read whole (``contents``), and already closed.
    public var descriptor: CInt
    public var validators: FileValidators
    public var contentType: String
    /// `br`, `zstd` or `gzip` when a precompressed sibling was opened; `nil` for the file itself.
    public var coding: String?
    /// The whole file, when it is at most ``StaticSite/inlineBytes`` and was read by the lookup.
    public var contents: ByteBuffer?
    /// With ``contents``: the fields of its whole-file `200` (``StaticResponseHead``) encoded
    /// once, on the thread pool, so that a lookup-cache hit formats and encodes nothing.
    var prepared: PreparedFields? = nil
}

/// What a static route found for a request.
public enum StaticLookup: Sendable {
    case file(OpenedFile)
    /// A directory listing (`listing: true`), as HTML.
    case listing(String)
    case notFound
    /// The path cannot name a file under the root (``StaticPath/Refusal``): `400`.
    case badRequest(StaticPath.Refusal)
    /// The path names a directory that would be served (its index, or a listing) but has no
    /// trailing slash: `301` to the same path with one, as nginx answers, so that the page's
    /// relative links resolve under the directory.
    case directoryRedirect
}

/// Finds and opens the file a request names under a ``StaticSite``'s root: the path decoded
/// and normalised (``StaticPath``), dotfiles hidden, the `try_files` candidates in order, index
/// files for directories, symbolic links resolved with `realpath` and refused when they lead
/// outside the root (unless `follow_symlinks`), precompressed siblings for clients that accept
/// them.
///
/// > Important: Blocking: it calls the file system. Run it on the site's thread pool, never
/// > on an event loop.
public struct StaticFileResolver: Sendable {
    public let site: StaticSite

    public init(site: StaticSite) {
        self.site = site
    }

    /// Looks up `path` (the request's path without its query, after the route's rewrite).
    /// `readsSmallFiles`: a file of at most ``StaticSite/inlineBytes`` is read whole and closed
    /// (a GET's; a HEAD needs no bytes).
    public func resolve(path: String, acceptEncoding: String?, readsSmallFiles: Bool = false) -> StaticLookup {
        self.resolve(path: path, codings: Self.codings(site: self.site, acceptEncoding: acceptEncoding), readsSmallFiles: readsSmallFiles)
    }

    /// The precompressed sibling codings a client with `acceptEncoding` takes, best first (pure:
    /// part of a ``StaticFileCache/Key``).
    public static func codings(site: StaticSite, acceptEncoding: String?) -> [String] {
        guard site.precompressed, let acceptEncoding else { return [] }
        return AcceptEncoding.acceptable([acceptEncoding], offered: StaticSite.siblingCodings.map(\.coding)).map(\.token)
    }

    /// Looks up `path` for a client that accepts the sibling `codings` (``codings(site:acceptEncoding:)``).
    public func resolve(path: String, codings: [String], readsSmallFiles: Bool) -> StaticLookup {
        let parsed: StaticPath
        switch StaticPath.parse(path) {
        case .success(let value): parsed = value
        case .failure(let refusal): return .badRequest(refusal)
        }
        if !self.site.dotfiles && StaticPath.hidesDotfile(parsed.segments) {
            return .notFound
        }
        for template in self.site.tryFiles {
            guard let candidate = parsed.candidate(template) else { continue }
            if !self.site.dotfiles && StaticPath.hidesDotfile(candidate.segments) { continue }
            let path = self.site.root + "/" + candidate.segments.joined(separator: "/")
            guard let real = self.permittedRealPath(path) else { continue }
            var status = stat()
            guard stat(real, &status) == 0 else { continue }
            if (status.st_mode & S_IFMT) == S_IFDIR {
                // The request's own path without its slash (`$uri` for `/docs`): redirected to
                // `/docs/` when the slash form serves something, looked at no further.
                let redirects = !candidate.directory && !parsed.trailingSlash && candidate.segments == parsed.segments
                for name in self.site.index {
                    if let file = self.open(real + "/" + name, name: name, codings: codings) {
                        if redirects {
                            close(file.descriptor)
                            return .directoryRedirect
                        }
                        return .file(readsSmallFiles ? self.inlined(file) : file)
                    }
                }
                if self.site.listing {
                    if redirects { return .directoryRedirect }
                    if let html = DirectoryListing.html(directory: real, uri: parsed.uri, showsDotfiles: self.site.dotfiles) {
                        return .listing(html)
                    }
                }
                continue
            }
            if candidate.directory { continue }
            if let file = self.open(real, name: candidate.segments.last ?? "", codings: codings) {
                return .file(readsSmallFiles ? self.inlined(file) : file)
            }
        }
        return .notFound
    }

    /// `file` read whole and closed when it is small; as it is otherwise (or when the read comes
    /// short: the file changed, and the streaming path deals with that).
    func inlined(_ file: OpenedFile) -> OpenedFile {
        let size = Int(file.validators.size)
        guard size <= self.site.inlineBytes else { return file }
        var buffer = ByteBufferAllocator().buffer(capacity: size)
        let count = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: size) { raw in
            max(0, pread(file.descriptor, raw.baseAddress, size, 0))
        }
        guard count == size else { return file }
        close(file.descriptor)
        var inlined = file
        inlined.descriptor = -1
        inlined.contents = buffer
        inlined.prepared = PreparedFields(StaticResponseHead(plan: .full, file: inlined, site: self.site).fields)
        return inlined
    }

    /// The real path of `path` when the site may serve it: under the real root (or anywhere
    /// with `follow_symlinks`), with no hidden dotfile segment below the root.
    func permittedRealPath(_ path: String) -> String? {
        guard let real = Self.realPath(path) else { return nil }
        let root = self.site.realRoot
        let inside = real == root || real.hasPrefix(root == "/" ? "/" : root + "/")
        if !inside {
            return self.site.followSymlinks ? real : nil
        }
        if !self.site.dotfiles {
            let relative = real.dropFirst(root.count).split(separator: "/").map(String.init)
            if StaticPath.hidesDotfile(relative) { return nil }
        }
        return real
    }

    /// Opens the regular file at `path` (or, first, its precompressed siblings in `codings`'
    /// order); `name` gives the type.
    private func open(_ path: String, name: String, codings: [String]) -> OpenedFile? {
        let contentType = MIMETypes.type(forFileName: name)
        for coding in codings {
            guard let suffix = StaticSite.siblingCodings.first(where: { $0.coding.token == coding })?.suffix else { continue }
            guard let real = self.permittedRealPath(path + suffix) else { continue }
            if var file = Self.openChecked(real, coding: coding) {
                file.contentType = contentType
                return file
            }
        }
        guard let real = self.permittedRealPath(path), var file = Self.openChecked(real, coding: nil) else { return nil }
        file.contentType = contentType
        return file
    }

    /// Opens `real` (a path ``permittedRealPath(_:)`` allowed) and makes sure the descriptor
    /// names that same file: a directory swapped for a symbolic link between the check and the
    /// open (someone who can write under `root`) would otherwise lead outside it.
    private static func openChecked(_ real: String, coding: String?) -> OpenedFile? {
        guard let file = Self.openRegular(real, coding: coding) else { return nil }
        guard Self.descriptorPath(file.descriptor) == real else {
            close(file.descriptor)
            return nil
        }
        return file
    }

    /// The path an open descriptor names now (Linux: the `/proc/self/fd` link).
    static func descriptorPath(_ descriptor: CInt) -> String? {
        var buffer = [UInt8](repeating: 0, count: Int(PATH_MAX) + 1)
        let count = buffer.withUnsafeMutableBytes { raw in
            readlink("/proc/self/fd/\(descriptor)", raw.baseAddress!.assumingMemoryBound(to: CChar.self), raw.count - 1)
        }
        guard count > 0 else { return nil }
        return String(decoding: buffer[..<count], as: UTF8.self)
    }

    private static func openRegular(_ path: String, coding: String?) -> OpenedFile? {
        let descriptor = Glibc.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        var status = stat()
        guard fstat(descriptor, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else {
            close(descriptor)
            return nil
        }
        let validators = FileValidators(
            inode: UInt64(status.st_ino),
            size: Int64(status.st_size),
            modifiedSeconds: Int64(status.st_mtim.tv_sec),
            modifiedNanoseconds: Int64(status.st_mtim.tv_nsec),
            coding: coding
        )
        return OpenedFile(descriptor: descriptor, validators: validators, contentType: MIMETypes.fallback, coding: coding)
    }

    /// `realpath(3)`: the absolute path with every symbolic link, `.` and `..` resolved; `nil`
    /// when it does not exist.
    public static func realPath(_ path: String) -> String? {
        guard let resolved = realpath(path, nil) else { return nil }
        defer { free(resolved) }
        return String(cString: resolved)
    }
}
