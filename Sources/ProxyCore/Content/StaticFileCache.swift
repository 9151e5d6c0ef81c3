public import NIOCore

/// One event loop's recent lookups for one static route, like nginx's `open_file_cache`: what
/// ``StaticFileResolver`` found for a path (a small file read whole, with its validators and
/// type, "not found", or a directory's redirect to its slash form), reused for ``validity`` so that a hit costs no system call and no
/// thread hop (decision 0028). After that the entry is a miss, and the resolver's fresh answer
/// replaces it: a file changed or deleted on disk is seen within ``validity``.
///
/// It stores only what the resolver produced, so nothing it returns skipped the root, symlink
/// and dotfile checks. Bounded in entries and in bytes; when full, a clock ("second chance")
/// sweep evicts an entry not used since the hand last passed it (an approximation of LRU).
///
/// A value type with no locks: each event loop owns its own (``StaticFileCacheRegistry``).
public struct StaticFileCache {
    /// What a lookup is cached under: the path after the route's rewrite (as the resolver takes
    /// it) and the sibling codings the client accepts, in order (`["br", "gzip"]`, or `[]`).
    public struct Key: Hashable, Sendable {
        public var path: String
        public var codings: [String]

        public init(path: String, codings: [String]) {
            self.path = path
            self.codings = codings
        }
    }

    private struct Slot {
        var key: Key
        var lookup: StaticLookup
        var bytes: Int
        var expires: NIODeadline
        var referenced: Bool
    }

    public let validity: TimeAmount
    public let maxEntries: Int
    public let maxBytes: Int
    private var slots: [Slot] = []
    private var index: [Key: Int] = [:]
    private var hand = 0
    /// The file bytes held.
    public private(set) var bytes = 0

    public init(validity: TimeAmount, maxEntries: Int, maxBytes: Int) {
        self.validity = validity
        self.maxEntries = max(0, maxEntries)
        self.maxBytes = max(0, maxBytes)
    }

    public var count: Int { self.index.count }

    /// Whether a lookup can be kept: "not found", or a file read whole (no descriptor to own).
    public static func isCacheable(_ lookup: StaticLookup) -> Bool {
        switch lookup {
        case .notFound, .directoryRedirect: return true
        case .file(let file): return file.descriptor < 0 && file.contents != nil
        case .listing, .badRequest: return false
        }
    }

    /// The entry for `key` while it is valid at `now`; `nil` when missing or expired (an expired
    /// entry is dropped: the caller asks the resolver and ``store(_:for:now:)``s its answer).
    public mutating func lookup(_ key: Key, now: NIODeadline) -> StaticLookup? {
        guard let position = self.index[key] else { return nil }
        guard now < self.slots[position].expires else {
            self.remove(at: position)
            return nil
        }
        self.slots[position].referenced = true
        return self.slots[position].lookup
    }

    /// Keeps `lookup` for `key` until `now + validity`, when it ``isCacheable(_:)`` and fits the
    /// bounds; evicts what it must. Anything else (or a zero validity) stores nothing, and drops an
    /// older entry for `key`.
    public mutating func store(_ lookup: StaticLookup, for key: Key, now: NIODeadline) {
        if let position = self.index[key] {
            self.remove(at: position)
        }
        let bytes = Self.bytes(of: lookup)
        guard self.validity > .zero, self.maxEntries > 0, Self.isCacheable(lookup), bytes <= self.maxBytes else { return }
        while self.slots.count >= self.maxEntries || self.bytes + bytes > self.maxBytes {
            self.evictOne()
        }
        self.index[key] = self.slots.count
        self.slots.append(Slot(key: key, lookup: lookup, bytes: bytes, expires: now + self.validity, referenced: false))
        self.bytes += bytes
    }

    /// Drops every entry.
    public mutating func removeAll() {
        self.slots.removeAll()
        self.index.removeAll()
        self.hand = 0
        self.bytes = 0
    }

    private static func bytes(of lookup: StaticLookup) -> Int {
        if case .file(let file) = lookup { return (file.contents?.readableBytes ?? 0) + (file.prepared?.size ?? 0) }
        return 0
    }

    /// The clock: clears the mark of each referenced entry it passes, evicts the first unmarked.
    private mutating func evictOne() {
        precondition(!self.slots.isEmpty)
        while true {
            if self.hand >= self.slots.count { self.hand = 0 }
            if self.slots[self.hand].referenced {
                self.slots[self.hand].referenced = false
                self.hand += 1
            } else {
                self.remove(at: self.hand)
                return
            }
        }
    }

    /// Removes the slot at `position` by moving the last one into its place.
    private mutating func remove(at position: Int) {
        let removed = self.slots[position]
        self.index[removed.key] = nil
        self.bytes -= removed.bytes
        let last = self.slots.count - 1
        if position != last {
            self.slots[position] = self.slots[last]
            self.index[self.slots[position].key] = position
        }
        self.slots.removeLast()
    }
}
