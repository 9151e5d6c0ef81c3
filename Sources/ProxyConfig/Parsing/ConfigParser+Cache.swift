import ProxyDefaults

/// `routes[].cache` (docs/content.md, decision 0029).
extension ConfigParser {
    mutating func cache(_ node: ConfigNode, key: String) -> CacheConfiguration? {
        if case .bool(let enabled) = node.scalar?.kind {
            return enabled ? CacheConfiguration() : nil
        }
        guard let fields = self.fields(of: node, key: key, allowed: CacheConfiguration.keys) else { return nil }
        var cache = CacheConfiguration()
        if let node = fields["memory"], let bytes = self.size(node, key: fields.key("memory"), in: CacheConfiguration.bytesRange) {
            cache.memoryBytes = bytes
        }
        if let node = fields["max_object"], let bytes = self.size(node, key: fields.key("max_object"), in: CacheConfiguration.bytesRange) {
            cache.maxObjectBytes = bytes
        }
        if cache.maxObjectBytes > cache.memoryBytes {
            if let node = fields["max_object"] {
                self.problems.report(
                    fields.key("max_object"),
                    at: node,
                    "max_object (\(cache.maxObjectBytes) bytes) is larger than memory (\(cache.memoryBytes) bytes): no such response could be kept"
                )
            } else {
                // A small memory tier without a max_object: the largest response it can hold.
                cache.maxObjectBytes = cache.memoryBytes
            }
        }
        if let node = fields["default_ttl"], let ttl = self.duration(node, key: fields.key("default_ttl"), allowsZero: true) {
            cache.defaultTTL = ttl
        }
        if let node = fields["purge"], let purge = self.fields(of: node, key: fields.key("purge"), allowed: CacheConfiguration.purgeKeys) {
            if let allow = purge["allow"] {
                cache.purgeAllow = self.cidrs(allow, key: purge.key("allow"))
            }
        }
        if let node = fields["disk"] {
            cache.disk = self.cacheDisk(node, key: fields.key("disk"))
        }
        return cache
    }

    /// `cache.disk: { path, size }`: `path` is resolved against the configuration file's
    /// directory and, when files are checked, must be (or be makeable as) a writable directory.
    private mutating func cacheDisk(_ node: ConfigNode, key: String) -> CacheConfiguration.Disk? {
        guard let fields = self.fields(of: node, key: key, allowed: CacheConfiguration.diskKeys) else { return nil }
        var sizeBytes = Defaults.Cache.diskBytes
        var valid = true
        if let node = fields["size"] {
            if let bytes = self.size(node, key: fields.key("size"), in: CacheConfiguration.bytesRange) {
                sizeBytes = bytes
            } else {
                valid = false
            }
        }
        guard let pathNode = fields["path"] else {
            self.problems.report(key, at: node, "path is required (the directory the disk tier keeps its files in)")
            return nil
        }
        guard let path = self.string(pathNode, key: fields.key("path")) else { return nil }
        let resolved = FilePaths.resolve(path, relativeTo: self.baseDirectory)
        if self.checkFilesExist, let problem = FilePaths.writableDirectoryProblem(resolved) {
            self.problems.report(fields.key("path"), at: pathNode, problem)
            return nil
        }
        return valid ? CacheConfiguration.Disk(path: resolved, sizeBytes: sizeBytes) : nil
    }
}
