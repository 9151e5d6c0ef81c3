/// What the disk tier knows of its files, in memory: by file name, the key, tags and bytes of
/// each, in least-recently-used order, bounded by a byte count (`cache.disk.size`). Pure;
/// ``DiskCache`` holds it under its lock and removes the files it evicts.
public struct DiskCacheIndex: Sendable {
    public struct Entry: Sendable, Equatable {
        public var key: String
        public var tags: [String]
        public var bytes: Int
        fileprivate var older: String?
        fileprivate var newer: String?

        public init(key: String, tags: [String], bytes: Int) {
            self.key = key
            self.tags = tags
            self.bytes = bytes
        }
    }

    public let limit: Int
    private var entries: [String: Entry] = [:]
    private var oldest: String?
    private var newest: String?
    public private(set) var bytes = 0
    public private(set) var evictions = 0

    public init(limit: Int) {
        self.limit = limit
    }

    public var count: Int { self.entries.count }

    public func entry(_ name: String) -> Entry? { self.entries[name] }

    /// Records `name` as the most recently used file (replacing what it was); the least recently
    /// used go until the bytes fit: their names, for the caller to delete. A file larger than
    /// the whole limit is not recorded (it is among the names returned).
    public mutating func insert(_ name: String, _ entry: Entry) -> [String] {
        self.remove(name)
        guard entry.bytes <= self.limit else { return [name] }
        self.entries[name] = entry
        self.link(name)
        self.bytes += entry.bytes
        var evicted: [String] = []
        while self.bytes > self.limit, let oldest = self.oldest {
            self.remove(oldest)
            self.evictions += 1
            evicted.append(oldest)
        }
        return evicted
    }

    /// Marks `name` used now (a read).
    public mutating func touch(_ name: String) {
        guard self.entries[name] != nil, self.newest != name else { return }
        self.unlink(name)
        self.link(name)
    }

    /// Forgets `name`; whether it was known.
    @discardableResult
    public mutating func remove(_ name: String) -> Bool {
        guard let entry = self.entries[name] else { return false }
        self.unlink(name)
        self.entries[name] = nil
        self.bytes -= entry.bytes
        return true
    }

    /// Forgets the entries `matches` selects: their names.
    public mutating func remove(where matches: (Entry) -> Bool) -> [String] {
        let names = self.entries.filter { matches($0.value) }.map(\.key)
        for name in names { self.remove(name) }
        return names
    }

    /// Names from least to most recently used.
    public var namesByRecency: [String] {
        var names: [String] = []
        var cursor = self.oldest
        while let name = cursor {
            names.append(name)
            cursor = self.entries[name]?.newer
        }
        return names
    }

    private mutating func link(_ name: String) {
        self.entries[name]!.older = self.newest
        self.entries[name]!.newer = nil
        if let newest = self.newest { self.entries[newest]!.newer = name }
        self.newest = name
        if self.oldest == nil { self.oldest = name }
    }

    private mutating func unlink(_ name: String) {
        let entry = self.entries[name]!
        if let older = entry.older { self.entries[older]!.newer = entry.newer } else { self.oldest = entry.newer }
        if let newer = entry.newer { self.entries[newer]!.older = entry.older } else { self.newest = entry.older }
    }
}
