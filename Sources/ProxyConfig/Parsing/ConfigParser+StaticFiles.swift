#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// The `static` route action: a directory served as files (docs/content.md).
extension ConfigParser {
    static let staticFilesKeys = ["root", "index", "try_files", "listing", "cache_control", "precompressed", "follow_symlinks", "dotfiles", "cache_valid"]

    mutating func staticFiles(_ node: ConfigNode, key: String) -> StaticFilesConfiguration {
        var site = StaticFilesConfiguration(root: "/")
        guard let fields = self.fields(of: node, key: key, allowed: Self.staticFilesKeys) else { return site }
        if let node = fields["root"], let path = self.string(node, key: fields.key("root")) {
            let resolved = FilePaths.resolve(path, relativeTo: self.baseDirectory)
            site.root = resolved
            if self.checkFilesExist, let problem = Self.directoryProblem(resolved) {
                self.problems.report(fields.key("root"), at: node, problem)
            }
        } else if fields["root"] == nil {
            self.reportMissing("root", in: fields, " (the directory to serve)")
        }
        if let node = fields["index"] {
            site.index = self.fileNames(node, key: fields.key("index"))
        }
        if let node = fields["try_files"] {
            site.tryFiles = self.tryFiles(node, key: fields.key("try_files"))
        }
        if let node = fields["listing"], let value = self.bool(node, key: fields.key("listing")) {
            site.listing = value
        }
        if let node = fields["cache_control"], let value = self.string(node, key: fields.key("cache_control")) {
            if HTTPSyntax.isValidFieldValue(value) {
                site.cacheControl = value
            } else {
                self.problems.report(fields.key("cache_control"), at: node, "must be printable ASCII without line breaks (got \"\(value)\")")
            }
        }
        if let node = fields["precompressed"], let value = self.bool(node, key: fields.key("precompressed")) {
            site.precompressed = value
        }
        if let node = fields["follow_symlinks"], let value = self.bool(node, key: fields.key("follow_symlinks")) {
            site.followSymlinks = value
        }
        if let node = fields["dotfiles"], let value = self.bool(node, key: fields.key("dotfiles")) {
            site.dotfiles = value
        }
        if let node = fields["cache_valid"],
            let value = self.duration(node, key: fields.key("cache_valid"), allowsZero: true, in: .zero...Duration.seconds(3600))
        {
            site.cacheValid = value
        }
        return site
    }

    /// What makes `path` unusable as a `root`, or `nil` when it is a directory.
    static func directoryProblem(_ path: String) -> String? {
        guard FileManager.default.fileExists(atPath: path) else {
            return "directory not found: \(path)"
        }
        // Listing it follows a symbolic link to a directory, and proves it can be read.
        return (try? FileManager.default.contentsOfDirectory(atPath: path)) != nil ? nil : "is not a readable directory: \(path)"
    }

    /// Index file names: plain names, no `/`, not `.` or `..`.
    private mutating func fileNames(_ node: ConfigNode, key: String) -> [String] {
        guard let items = self.list(node, key: key) else { return [] }
        var names: [String] = []
        for (index, item) in items.enumerated() {
            let itemKey = "\(key)[\(index)]"
            guard let name = self.string(item, key: itemKey) else { continue }
            if name.contains("/") || name == "." || name == ".." || name.contains("\0") {
                self.problems.report(itemKey, at: item, "must be a file name without \"/\" (got \"\(name)\")")
                continue
            }
            names.append(name)
        }
        return names
    }

    /// `try_files` candidates: each starts with `$uri` or `/` and names no `..` segment.
    private mutating func tryFiles(_ node: ConfigNode, key: String) -> [String] {
        guard let items = self.list(node, key: key) else { return [] }
        var candidates: [String] = []
        for (index, item) in items.enumerated() {
            let itemKey = "\(key)[\(index)]"
            guard let text = self.string(item, key: itemKey) else { continue }
            guard text.hasPrefix("$uri") || text.hasPrefix("/") else {
                self.problems.report(itemKey, at: item, "must start with \"$uri\" or \"/\" (got \"\(text)\"), such as $uri, $uri.html, $uri/ or /index.html")
                continue
            }
            if text.split(separator: "/").contains(where: { $0 == ".." }) || text.contains("\0") {
                self.problems.report(itemKey, at: item, "must not contain a \"..\" segment (got \"\(text)\")")
                continue
            }
            candidates.append(text)
        }
        if candidates.isEmpty && items.isEmpty {
            self.problems.report(key, at: node, "must name at least one candidate, such as $uri")
        }
        return candidates
    }
}
